import { readFileSync } from "node:fs";
import { SystemClock } from "../core/clock.js";
import { errorMessage, isHearthError } from "../core/errors.js";
import { createLogger } from "../core/log.js";
import { parseReceiverConfig, receiverOptions } from "../receiver/config.js";
import { stdoutDecisions } from "../receiver/decisions.js";
import { Receiver } from "../receiver/receiver.js";
import { openStore } from "../receiver/store/open.js";
import { CliExit, EXIT } from "./exit.js";

export interface ReceiverFlags {
  config?: string;
  broker?: string[];
  db?: string;
  group?: string;
  single?: boolean;
  mqttVersion?: string;
  ack?: string;
  ackBy?: string;
  webhook?: string;
  webhookSecretFile?: string;
  http?: string;
  httpTokenFile?: string;
  key?: string;
  heartbeatAllowance?: string;
}

/** `hearth receiver`: runs until SIGTERM or SIGINT; decisions on stdout, logs on stderr. */
export async function receiverCommand(flags: ReceiverFlags): Promise<void> {
  let text: string | undefined;
  if (flags.config) {
    try {
      text = readFileSync(flags.config, "utf8");
    } catch (e) {
      throw new CliExit(EXIT.failed, `hearth receiver: ${errorMessage(e)}`);
    }
  }
  let opts: ReturnType<typeof receiverOptions>;
  let db: string;
  try {
    const config = parseReceiverConfig(text, flags.config ?? "(flags)", {
      brokers: flags.broker && flags.broker.length > 0 ? flags.broker : undefined,
      db: flags.db,
      group: flags.group,
      single: flags.single,
      mqtt_version: flags.mqttVersion,
      ack: flags.ack,
      ack_by: flags.ackBy,
      webhook: flags.webhook,
      webhook_secret_file: flags.webhookSecretFile,
      http: flags.http,
      http_token_file: flags.httpTokenFile,
      key_file: flags.key,
      heartbeat_allowance: flags.heartbeatAllowance,
    });
    opts = receiverOptions(config);
    db = config.db;
  } catch (e) {
    throw new CliExit(isHearthError(e) ? EXIT.usage : EXIT.failed, `hearth receiver: ${errorMessage(e)}`);
  }
  const log = createLogger();
  if (!opts.key)
    log.warn("No signing key (--key): commands go unsigned; only gateways configured insecure run them");
  const store = await openStore(db).catch((e: unknown) => {
    throw new CliExit(EXIT.usage, `hearth receiver: ${errorMessage(e)}`);
  });
  const clock = new SystemClock({ onTimerError: (e) => log.error({ err: e }, "Timer failed") });
  const receiver = new Receiver(opts, { store, clock, log, decisions: stdoutDecisions() });
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  await receiver.start();
  await stopped;
  log.info("Stopping");
  await receiver.stop();
  await store.close();
}
