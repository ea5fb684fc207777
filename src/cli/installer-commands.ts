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
    .command("sms-test")
    .description(
      "send one test SMS through the cellular modem (ModemManager), as the SMS fallback for calls and falls would",
    )
    .argument("<number>", "the phone number, e.g. +8613800138000")
    .option("-c, --config <file>", "the home's config (its id and language)", "/etc/hearth/home.yaml")
    .option("--language <lang>", "zh, yue or en (default: sms.language, the speaker's, else en)")
    .action(async (number: string, opts: import("./sms-test.js").SmsTestFlags) => {
      const { smsTestCommand } = await import("./sms-test.js");
      await smsTestCommand(number, opts);
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
    .option("--within <duration>", "expect-press, finish: how long to wait for the press (default 2m)")
    .option(
      "--report <prefix>",
      "finish: write the report to <prefix>.json and <prefix>.txt (default: in the state directory)",
    )
    .option(
      "--timeout <duration>",
      "finish: how long to wait for the cloud's acknowledgement of the test alert (default 30s)",
    )
    .action(async (action: string, opts: import("./commission.js").CommissionFlags) => {
      const { commissionCommand } = await import("./commission.js");
      await commissionCommand(action, opts);
    });

  program
    .command("provision")
    .description(
      "write the home's config and install its certificates and keys (flags, --from FILE, or questions on a terminal); re-run shows the difference",
    )
    .option("-c, --config <file>", "the config to write", "/etc/hearth/home.yaml")
    .option("--dir <dir>", "where certificates and the key go (default: the config's directory)")
    .option(
      "--from <file>",
      "the values as YAML (home, timezone, broker, ca, cert, key, cloud_key, sleep_window, …)",
    )
    .option("--home <id>", "the home id")
    .option("--timezone <tz>", "IANA time zone, e.g. Europe/Berlin")
    .option("--broker <url>", "mqtts://host:8883")
    .option("--mqtt-version <v>", "5 or 3.1.1")
    .option("--username <name>", "the broker user name")
    .option("--password-file <file>", "a file holding the broker password ('-': standard input)")
    .option("--ca <file>", "the CA certificate (PEM)")
    .option("--cert <file>", "this gateway's client certificate (PEM)")
    .option("--key <file>", "this gateway's private key (PEM): installed 0600, owned by --user")
    .option("--cloud-key <file>", "the cloud's command-signing public key (hearth keygen's .pub)")
    .option(
      "--release-key <file>",
      "the public key releases are signed with (not the command key): hearth update checks it",
    )
    .option("--sleep-window <HH:MM-HH:MM>", "the usual night (default 22:00-07:00)")
    .option("--state-dir <dir>", "the agent's state directory")
    .option(
      "--snippet <file>",
      "a devices: snippet from hearth probe or hearth scan ble --press (repeat)",
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .option("--user <name>", "the agent's user (owns the private key)", "hearth")
    .option("--group <name>", "the config's group (0640 root:<group>)", "hearth")
    .option("-y, --yes", "no questions: apply the changes")
    .option("--no-broker-check", "write without trying the broker (no network yet)")
    .action(async (opts: import("./provision.js").ProvisionFlags) => {
      const { provisionCommand } = await import("./provision.js");
      await provisionCommand(opts);
    });
}
