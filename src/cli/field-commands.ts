import type { Command } from "commander";

/**
 * The gateway's life in the field (issue 15): updates, signing releases, the support bundle,
 * decommissioning. Kept apart from main.ts; each command's code is imported only when it runs.
 */
export function registerFieldCommands(program: Command): void {
  program
    .command("update")
    .description(
      "install a signed release: signature checked first, then switched by the root helper, kept if the agent comes back healthy, else rolled back",
    )
    .argument("<release>", "hearth-<version>-<arch>.tar.gz")
    .option("-c, --config <file>", "the home's config (release key, state_dir)", "/etc/hearth/home.yaml")
    .option("--sig <file>", "the detached signature (default: <release>.sig)")
    .option("--wait <duration>", "how long to wait for the root helper's verdict", "5m")
    .action(async (release: string, opts: { config: string; sig?: string; wait: string }) => {
      const { updateCommand } = await import("./update.js");
      await updateCommand(release, opts);
    });

  program
    .command("release")
    .description("release tools: `hearth release sign --key <pem> <tarball>` writes <tarball>.sig")
    .argument("<action>", "sign")
    .argument("<release>", "the release tarball")
    .requiredOption(
      "-k, --key <file>",
      "the release signing key (PEM, from hearth keygen; not the command key)",
    )
    .action(async (action: string, release: string, opts: { key: string }) => {
      const { CliExit, EXIT } = await import("./exit.js");
      if (action !== "sign")
        throw new CliExit(EXIT.usage, `hearth release: unknown action "${action}" (known: sign)`);
      const { releaseSignCommand } = await import("./update.js");
      releaseSignCommand(release, opts);
    });

  program
    .command("support-bundle")
    .description(
      "one tar.gz for support: versions, config (secrets redacted), status, doctor, outbox statistics, the journal, the unit's state",
    )
    .option("-c, --config <file>", "the home's config", "/etc/hearth/home.yaml")
    .option("-o, --out <file>", "where the archive goes (default: hearth-support-<home>-<time>.tar.gz here)")
    .option("--with-bodies", "include the pending messages' bodies (personal data: only when asked)")
    .option("--since <duration>", "how much of the journal", "6h")
    .action(async (opts: { config: string; out?: string; withBodies?: boolean; since: string }) => {
      const { supportBundleCommand } = await import("./support-bundle.js");
      await supportBundleCommand(opts);
    });

  program
    .command("decommission")
    .description(
      "flush what is pending, tell the cloud, delete keys, bind keys, config and outbox: ready to provision for another home",
    )
    .option("-c, --config <file>", "the home's config", "/etc/hearth/home.yaml")
    .option("--yes", "do it without asking")
    .option("--flush-timeout <duration>", "how long to wait for pending messages to be delivered", "60s")
    .action(async (opts: { config: string; yes?: boolean; flushTimeout: string }) => {
      const { decommissionCommand } = await import("./decommission.js");
      await decommissionCommand(opts);
    });
}
