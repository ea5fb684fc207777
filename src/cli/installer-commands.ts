import type { Command } from "commander";

/**
 * The installer's visit (docs/installer.md): `doctor` checks the whole home at once. Kept apart from
 * main.ts so each command's code is still imported only when it runs.
 */
export function registerInstallerCommands(program: Command): void {
  program
    .command("doctor")
    .description(
      "check the whole home at once: one line per check, ✓, ✗ with the fix, or – where it does not apply",
    )
    .option("-c, --config <file>", "the home's config", "/etc/hearth/home.yaml")
    .option("--state-dir <dir>", "override state_dir from the config")
    .option("--user <name>", "the user the agent runs as", "hearth")
    .option("--unit <name>", "the agent's systemd unit", "hearth")
    .option("--json", "print the checks as JSON")
    .action(async (opts: import("./doctor.js").DoctorFlags) => {
      const { doctorCommand } = await import("./doctor.js");
      await doctorCommand(opts);
    });
}
