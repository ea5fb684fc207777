import type { Command } from "commander";

/**
 * The installer's visit (docs/installer.md): `doctor` checks the whole home at once, `commission`
 * keeps the visit's test presses from reaching the care centre as calls. Kept apart from
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

  program
    .command("commission")
    .description(
      "commissioning mode: start (silences and announced presses go out as test alerts, for --for/--until, default 2h), expect-press (the next press within --within is a test), stop, finish",
    )
    .argument("<action>", "start | expect-press | stop | finish")
    .option("-c, --config <file>", "the home's config (to find its state_dir)")
    .option("--state-dir <dir>", "the agent's state directory")
    .option("--socket <path>", "the control socket itself")
    .option("--by <name>", "the installer's name (default: the user who ran sudo, or the login)")
    .option("--for <duration>", "start: how long the mode lasts (default 2h, at most 8h)")
    .option("--until <time>", "start: when the mode ends (HH:MM today, or an ISO date-time)")
    .option("--within <duration>", "expect-press: how long to wait for the press (default 2m)")
    .action(async (action: string, opts: import("./commission.js").CommissionFlags) => {
      const { commissionCommand } = await import("./commission.js");
      await commissionCommand(action, opts);
    });
}
