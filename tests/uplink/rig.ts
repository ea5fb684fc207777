import { randomUUID } from "node:crypto";
import type { BrokerConfig } from "../../src/config/schema.js";
import type { ReplyBody } from "../../src/contract/messages.js";
import { type Clock, SystemClock } from "../../src/core/clock.js";
import { randomIds } from "../../src/core/ids.js";
import { type Logger, silentLogger } from "../../src/core/log.js";
import { DAY_MS, MINUTE_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import type { CommandHandler } from "../../src/uplink/types.js";
import { Uplink } from "../../src/uplink/uplink.js";

export interface RigOptions {
  brokers: BrokerConfig[];
  clock?: Clock;
  replayRate?: number;
  onCommand?: CommandHandler;
  heartbeatMs?: number;
  log?: Logger;
  /** The outbox's file; default in memory (benchmarks put it on disk, as the agent's is). */
  outboxPath?: string;
}

export interface Rig {
  home: string;
  clock: Clock;
  outbox: SqliteOutbox;
  uplink: Uplink;
  /** Stops the uplink, closes the outbox. */
  close(): Promise<void>;
}

/** A ping answers ok; every other command is refused by throwing, as a buggy handler might. */
export const pingHandler: CommandHandler = (name, payload) => {
  if (name !== "ping") return Promise.reject(new Error(`unknown command '${name}'`));
  const cmd = JSON.parse(payload.toString("utf8")) as { id: string };
  const reply: ReplyBody = { command_id: cmd.id, command: name, status: "ok", data: { pong: true } };
  return Promise.resolve(reply);
};

export function broker(
  url: string,
  version: "3.1.1" | "5" = "3.1.1",
  extra: Partial<BrokerConfig> = {},
): BrokerConfig {
  return { url, mqtt_version: version, ...extra };
}

/** An outbox (in memory unless `outboxPath`) and an uplink for a fresh home id (so tests never share an MQTT client id). */
export function makeRig(o: RigOptions): Rig {
  const home = `h-${randomUUID().slice(0, 8)}`;
  const clock = o.clock ?? new SystemClock();
  const outbox = new SqliteOutbox({
    path: o.outboxPath ?? ":memory:",
    home,
    timeZone: "Asia/Shanghai",
    clock,
    ids: randomIds,
    maxSizeBytes: 64 * 1024 * 1024,
    retentionMs: DAY_MS,
    telemetryBatch: 100,
    telemetryFlushMs: 1000,
    log: silentLogger(),
  });
  outbox.open();
  const uplink = new Uplink({
    home,
    timeZone: "Asia/Shanghai",
    brokers: o.brokers,
    keepaliveMs: 10_000,
    heartbeatMs: o.heartbeatMs ?? MINUTE_MS,
    replayRate: o.replayRate ?? Number.POSITIVE_INFINITY,
    backoffInitialMs: 50,
    backoffMaxMs: 400,
    clock,
    ids: randomIds,
    version: "0.1.0-test",
    source: outbox,
    onCommand: o.onCommand ?? pingHandler,
    health: () => ({
      uptime_s: Math.floor(clock.monotonicMs() / 1000),
      outbox: outbox.depth(),
      clock: "synced",
    }),
    log: o.log ?? silentLogger(),
  });
  return {
    home,
    clock,
    outbox,
    uplink,
    async close() {
      await uplink.stop();
      outbox.close();
    },
  };
}
