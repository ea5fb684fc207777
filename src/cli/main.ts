#!/usr/bin/env node
import { Command, CommanderError, Option } from "commander";
import { parseDuration } from "../core/duration.js";
import { packageVersion } from "../core/paths.js";
import type { EvalCliOptions } from "./eval-tiers-options.js";
import { CliExit, EXIT } from "./exit.js";
import { registerFieldCommands } from "./field-commands.js";
import { registerInstallerCommands } from "./installer-commands.js";
import { registerServiceCommands } from "./service-commands.js";

/**
 * The `hearth` command. Each subcommand's code is imported lazily, so `hearth run` never loads the
 * simulators and a quick `hearth decode` does not load SQLite or MQTT.
 */
function build(): Command {
  const program = new Command("hearth")
    .description("Hearth gateway agent: call button, meters, inactivity alerts, durable MQTT uplink")
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride();

  program
    .command("resolve-config", { hidden: true })
    .description("check a config and print it with its devices' profiles as JSON (what `hearth run` reads)")
    .requiredOption("-c, --config <file>", "the home's config file (YAML)")
    .action(async (opts: { config: string }) => {
      const { resolveConfigCommand } = await import("./resolve-config.js");
      await resolveConfigCommand(opts);
    });

  program
    .command("run")
    .description("run the agent for one home")
    .requiredOption("-c, --config <file>", "the home's config file (YAML)")
    .option("--state-dir <dir>", "override state_dir from the config")
    .action(async (opts: { config: string; stateDir?: string }) => {
      const { runCommand } = await import("./run.js");
      await runCommand(opts);
    });

  program
    .command("demo")
    .description("a simulated home, an embedded broker and a console cloud, on an accelerated clock")
    .option("--forever", "keep running after the scripted day")
    .addOption(
      new Option("--speed <factor>", "simulated seconds per real second").default(1200).argParser(Number),
    )
    .option("--state-dir <dir>", "where the demo keeps its outbox (default: a temporary folder)")
    .action(async (opts: { forever?: boolean; speed: number; stateDir?: string }) => {
      const { demoCommand } = await import("./demo.js");
      await demoCommand(opts);
    });

  program
    .command("status")
    .description(
      "a running agent's state (over its local control socket): JSON, or on a terminal a view that refreshes in place",
    )
    .option("-c, --config <file>", "the home's config (to find its state_dir)")
    .option("--state-dir <dir>", "the agent's state directory")
    .option("--socket <path>", "the control socket itself")
    .option("--json", "JSON even on a terminal (JSON is the default when stdout is not one)")
    .option("--once", "on a terminal: one screen, no refresh")
    .option("--interval <duration>", "on a terminal: how often the view refreshes", "2s")
    .action(async (opts: { config?: string; stateDir?: string; socket?: string; json?: boolean }) => {
      const { statusCommand } = await import("./status.js");
      await statusCommand(opts);
    });

  program
    .command("test-alert")
    .description(
      "the installer's test: the running agent raises a test alert and this waits for the cloud's acknowledgement",
    )
    .option("-c, --config <file>", "the home's config (to find its state_dir)")
    .option("--state-dir <dir>", "the agent's state directory")
    .option("--socket <path>", "the control socket itself")
    .option("--timeout <duration>", "how long to wait for the acknowledgement", "30s")
    .action(async (opts: { config?: string; stateDir?: string; socket?: string; timeout: string }) => {
      const timeoutMs = parseDuration(opts.timeout);
      if (timeoutMs === undefined || timeoutMs <= 0)
        throw new CliExit(EXIT.usage, `hearth test-alert: --timeout: not a duration: ${opts.timeout}`);
      const { testAlertCommand } = await import("./test-alert.js");
      const { timeout: _, ...rest } = opts;
      await testAlertCommand({ ...rest, timeoutMs });
    });

  program
    .command("ble-reset-counter")
    .argument("<device>", "the button's id in the config")
    .description(
      "after a button's battery change or reset: the running agent forgets its last encryption counter (recorded as an event)",
    )
    .option("-c, --config <file>", "the home's config (to find its state_dir)")
    .option("--state-dir <dir>", "the agent's state directory")
    .option("--socket <path>", "the control socket itself")
    .action(async (device: string, opts: { config?: string; stateDir?: string; socket?: string }) => {
      const { resetCounterCommand } = await import("./status.js");
      await resetCounterCommand(device, opts);
    });

  registerInstallerCommands(program);
  registerFieldCommands(program);
  registerServiceCommands(program);

  program
    .command("keygen")
    .description(
      "make an Ed25519 key pair for signing commands to gateways; prints the public key for the config",
    )
    .requiredOption("-o, --out <file>", "the private key's file (the public key goes to <file>.pub)")
    .action(async (opts: { out: string }) => {
      const { keygenCommand } = await import("./keys.js");
      keygenCommand(opts);
    });

  program
    .command("sign")
    .description("print a signed command (JSON) for a gateway, valid for --ttl")
    .argument(
      "<command>",
      "ack, ping, watch, resend, update, config_get, config_set, cert_csr or cert_install",
    )
    .argument("[body]", "the command's body as JSON", "{}")
    .requiredOption("-k, --key <file>", "the cloud's private key (PEM, from hearth keygen)")
    .requiredOption("--home <id>", "the home id: the signature covers the topic")
    .option("--id <id>", "the command id (default: a new UUID)")
    .option("--ttl <duration>", "expires this long after now (at most 10m)", "5m")
    .action(
      async (name: string, body: string, opts: { key: string; home: string; id?: string; ttl: string }) => {
        const { signCommandCli } = await import("./keys.js");
        signCommandCli(name, body, opts);
      },
    );

  program
    .command("receiver")
    .description(
      "the cloud end: receive, de-duplicate, store and acknowledge alerts from gateways (docs/receiver.md)",
    )
    .option("-c, --config <file>", "a receiver config file (YAML); flags win over it")
    .option("--broker <url>", "an MQTT broker (repeat for failover)", (v: string, acc: string[] = []) => [
      ...acc,
      v,
    ])
    .option("--db <url>", "sqlite:PATH (default sqlite:hearth-receiver.db) or postgres://…")
    .option("--group <name>", "the shared-subscription group of the instances (default hearth-receivers)")
    .option("--single", "one instance with plain subscriptions, for a broker without shared subscriptions")
    .option("--mqtt-version <v>", "5 (default) or 3.1.1 (needs --single)")
    .option("--ack <mode>", "auto | webhook | manual (default auto)")
    .option("--ack-by <name>", "who automatic acks name (default hearth-receiver)")
    .option("--webhook <url>", "POST each alert state change here")
    .option("--webhook-secret-file <file>", "the HMAC-SHA256 secret of the webhook signature")
    .option(
      "--http <host:port>",
      "the HTTP API and the operator console (alerts, acks, homes, watch levels); loopback unless a token is set",
    )
    .option(
      "--http-token-file <file>",
      "the token the HTTP API and console require (bearer, or the basic auth password)",
    )
    .option("-k, --key <file>", "the provider's private key for signing commands (hearth keygen)")
    .option("--heartbeat-allowance <duration>", "a gateway unheard this long is offline (default 11m)")
    .action(async (opts: import("./receiver.js").ReceiverFlags) => {
      const { receiverCommand } = await import("./receiver.js");
      await receiverCommand(opts);
    });

  program
    .command("validate")
    .description(
      "check a config file (every problem with its path and line) or, with --profiles, the device profiles",
    )
    .argument("[file]", "config file")
    .option("--profiles [dir]", "check device profiles instead")
    .action(async (file: string | undefined, opts: { profiles?: string | boolean }) => {
      const { validateCommand } = await import("./validate.js");
      validateCommand(file, opts);
    });

  program
    .command("schemas")
    .description("print, write or check the JSON Schemas generated from the code")
    .option("--write", "write them into the package")
    .option("--check", "exit 1 if a committed schema differs from the generated one")
    .action(async (opts: { write?: boolean; check?: boolean }) => {
      const { schemasCommand } = await import("./schemas.js");
      schemasCommand(opts);
    });

  program
    .command("decode")
    .description(
      "decode a frame, advert or GATT value: modbus, dlt645, cjt188, bthome or gatt <characteristic>; '-' reads one per line from stdin",
    )
    .argument("<protocol>", "modbus | dlt645 | cjt188 | bthome | gatt")
    .argument(
      "<hex>",
      "the frame in hex (spaces allowed), or - for a capture on stdin; gatt: the characteristic (2a35 or its name)",
    )
    .argument("[value]", "gatt: the characteristic's value in hex, or -")
    .option("--request", "modbus: the frame is a request")
    .option("--response", "modbus: the frame is a response")
    .option("--tcp", "modbus: MBAP (TCP) framing")
    .option("--profile <id>", "modbus/dlt645: a device profile, to name and scale values")
    .option("--start <register>", "modbus response: the first register the request asked for")
    .option("--mac <mac>", "bthome: the device's MAC (needed to decrypt)")
    .option("--key <hex>", "bthome: the bind key (32 hex digits)")
    .action(
      async (
        protocol: string,
        hex: string,
        value: string | undefined,
        opts: Record<string, string | boolean>,
      ) => {
        const { decodeCommand } = await import("./decode.js");
        await decodeCommand(protocol, hex, opts, value);
      },
    );

  program
    .command("probe")
    .description("find the meters on an RS-485 line and print a devices: snippet for the config")
    .argument("<port>", "serial port, e.g. /dev/serial/by-id/usb-...")
    .option("--protocol <p>", "auto | modbus | dlt645 | cjt188", "auto")
    .option("--baud <n>", "try only this baud rate (default: each protocol's usual one)")
    .option("--parity <p>", "none | even | odd (with --baud)")
    .option("--ids <list>", "Modbus unit ids, e.g. 1-247 or 1,2,10-20", "1-247")
    .option("--timeout <t>", "wait per request, e.g. 100ms", "100ms")
    .action(
      async (
        port: string,
        opts: { protocol: string; baud?: string; parity?: string; ids: string; timeout: string },
      ) => {
        const { probeCommand } = await import("./probe.js");
        await probeCommand(port, opts);
      },
    );

  program
    .command("scan")
    .description("scan for BTHome devices nearby (ble), or wait for a button press with --press")
    .argument("<what>", "ble")
    .option("--seconds <n>", "how long to listen (with --press: how long to wait)", "10")
    .option("--press", "wait for a button press and print a config snippet for it")
    .option("--adapter <hci>", "Bluetooth adapter", "hci0")
    .option("--key <mac=hex...>", "bind keys, to decode encrypted devices")
    .option("--profile <id>", "profile for the --press snippet")
    .action(
      async (
        what: string,
        opts: { seconds: string; press?: boolean; adapter: string; key?: string[]; profile?: string },
      ) => {
        const { scanCommand } = await import("./scan.js");
        await scanCommand(what, opts);
      },
    );

  program
    .command("pair")
    .description("bond a health monitor that needs it (device in its pairing mode); docs/HEALTH.md")
    .argument("<mac>", "the device's MAC address")
    .option("--adapter <hci>", "Bluetooth adapter", "hci0")
    .option("--timeout <duration>", "how long to wait for the device", "60s")
    .action(async (mac: string, opts: { adapter: string; timeout: string }) => {
      const { pairCommand } = await import("./pair.js");
      await pairCommand(mac, opts);
    });

  program
    .command("replay")
    .description(
      "run the real pipeline over recorded readings on a virtual clock; print the envelopes it sends",
    )
    .requiredOption("-i, --input <file>", "readings as JSON lines, sorted by time ('-' for stdin)")
    .option("-c, --config <file>", "the home's config (default: defaults, devices from the input)")
    .option("--until <ts>", "run the clock on to this time (ISO 8601 with offset)")
    .option("--telemetry", "print telemetry envelopes too")
    .option(
      "--prealarm [wait]",
      "ask before inactivity alerts, as a gateway with a speaker would (default wait: the config's, 10m)",
    )
    .action(
      async (opts: {
        input: string;
        config?: string;
        until?: string;
        telemetry?: boolean;
        prealarm?: true | string;
      }) => {
        const { replayCommand } = await import("./replay.js");
        await replayCommand(opts);
      },
    );

  program
    .command("routine")
    .description("print a home's learned routine as a text chart (from the agent's state, or from a replay)")
    .option("-c, --config <file>", "the home's config (its state_dir, or the detection settings for --input)")
    .option("--state-dir <dir>", "the agent's state directory")
    .option("-i, --input <file>", "learn it from a replay of these readings instead")
    .action(async (opts: { config?: string; stateDir?: string; input?: string }) => {
      const { routineCommand } = await import("./routine.js");
      await routineCommand(opts);
    });

  program
    .command("eval")
    .description(
      "detection evaluation on simulated households (fixed seeds): detection, time to detect, false alarms",
    )
    .addOption(new Option("--homes <n>", "held-out homes").default(100).argParser(Number))
    .addOption(new Option("--tuning-homes <n>", "homes on the tuning seeds").default(50).argParser(Number))
    .addOption(new Option("--days <n>", "days before the incident").default(60).argParser(Number))
    .option("--json", "print the figures as JSON")
    .option("--motion", "the variant: every home also has a BLE motion sensor in its main room")
    .option("--max-silence-day <duration>", "day limit instead of the default (e.g. 4h)")
    .addOption(new Option("--alpha <p>", "the routine's alpha instead of the default").argParser(Number))
    .option(
      "--tiers <list>",
      "sensing tiers, comma-separated: meters, motion, motion_door, motion_door_fall (learned routine on)",
    )
    .addOption(
      new Option("--prealarm <when>", "with --tiers: the pre-alarm off, on, or both").choices([
        "off",
        "on",
        "both",
      ]),
    )
    .option(
      "--matrix",
      "every sensing tier, each with and without the pre-alarm (= --tiers all --prealarm both)",
    )
    .option("--prealarm-max-silence-day <duration>", "with --tiers: the day limit while the pre-alarm is on")
    .addOption(
      new Option(
        "--prealarm-alpha <p>",
        "with --tiers: the routine's alpha while the pre-alarm is on",
      ).argParser(Number),
    )
    .option("--no-bound", "with --tiers: skip the oracle bound")
    .action(async (opts: EvalCliOptions) => {
      if (opts.alpha !== undefined && !(opts.alpha > 0 && opts.alpha < 1))
        throw new CliExit(
          EXIT.usage,
          `hearth eval: --alpha ${opts.alpha}: expected a probability between 0 and 1`,
        );
      let maxSilenceDayMs: number | undefined;
      if (opts.maxSilenceDay !== undefined) {
        maxSilenceDayMs = parseDuration(opts.maxSilenceDay);
        if (maxSilenceDayMs === undefined)
          throw new CliExit(
            EXIT.usage,
            `hearth eval: --max-silence-day ${opts.maxSilenceDay}: not a duration (e.g. 4h, 90m)`,
          );
      }
      if (opts.tiers !== undefined || opts.matrix || opts.prealarm !== undefined) {
        const { parseTierOptions } = await import("./eval-tiers-options.js");
        const { evalTiersCommand } = await import("./eval-tiers.js");
        evalTiersCommand(parseTierOptions(opts, maxSilenceDayMs));
        return;
      }
      const { evalCommand } = await import("./eval.js");
      evalCommand({ ...opts, ...(maxSilenceDayMs !== undefined ? { maxSilenceDayMs } : {}) });
    });

  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = build();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      )
        return EXIT.ok;
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof CliExit) {
      if (e.message) process.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`hearth: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.failed;
  }
}

const code = await main(process.argv);
process.exitCode = code;
