import type { Command } from "commander";

/**
 * The commands systemd runs around the agent (deploy/): the root helper's pass and the first boot's
 * provisioning. Kept apart from main.ts so each one's code is imported only when it runs.
 */
export function registerServiceCommands(program: Command): void {
  const privileged = program
    .command("privileged")
    .description(
      "the root helper for what the agent may not do itself (docs/decisions/privilege-boundary.md)",
    );
  privileged
    .command("run")
    .description("answer every pending request once, then exit (run as root by hearth-privileged.service)")
    .option("--state-dir <dir>", "the agent's state directory", "/var/lib/hearth")
    .option("--root <dir>", "treat this directory as / (tests, images)", "/")
    .action(async (opts: import("./privileged.js").PrivilegedRunFlags) => {
      const { privilegedRunCommand } = await import("./privileged.js");
      await privilegedRunCommand(opts);
    });

  program
    .command("firstboot")
    .description(
      "provision once from hearth-provision.yaml on the boot partition, then remove its secrets from there (hearth-firstboot.service)",
    )
    .option("--root <dir>", "treat this directory as / (tests, images)", "/")
    .option("-c, --config <file>", "the config to write", "/etc/hearth/home.yaml")
    .option("--state-dir <dir>", "where the outcome is recorded for hearth doctor", "/var/lib/hearth")
    .option("--user <name>", "the agent's user (owns the private key)", "hearth")
    .option("--group <name>", "the config's group", "hearth")
    .action(async (opts: import("./firstboot.js").FirstbootFlags) => {
      const { firstbootCommand } = await import("./firstboot.js");
      await firstbootCommand(opts);
    });
}
