#!/usr/bin/env node
import { Command, CommanderError, Option } from "commander";
import { packageVersion } from "../core/paths.js";
import { CliExit, EXIT } from "./exit.js";

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
    .description("print a running agent's state as JSON (over its local control socket)")
    .option("-c, --config <file>", "the home's config (to find its state_dir)")
    .option("--state-dir <dir>", "the agent's state directory")
    .option("--socket <path>", "the control socket itself")
    .action(async (opts: { config?: string; stateDir?: string; socket?: string }) => {
      const { statusCommand } = await import("./status.js");
      await statusCommand(opts);
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
      return e.code;
    }
    process.stderr.write(`hearth: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.failed;
  }
}

const code = await main(process.argv);
process.exitCode = code;
