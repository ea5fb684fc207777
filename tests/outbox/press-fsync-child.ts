/**
 * Child process of press-fsync.test.ts, run under `strace`: a real outbox on disk, the real pipeline
 * writing to it, and the real BTHome receiver with its counter store in the outbox's kv, as the agent
 * wires them. Takes `presses` encrypted button presses (argv[3]) with the outbox's `durably` (argv[4]
 * "grouped") or without it ("plain"), then exits. The test counts fsyncs between two runs that
 * differ only in the number of presses.
 */
import { join } from "node:path";
import { BthomeReceiver } from "../../drivers/bthome/receiver.js";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { DAY_MS, HOUR_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { encryptedAdvert, TEST_KEY, testButtonProfile } from "../helpers/bthome.js";

const [dir, pressesArg, mode] = process.argv.slice(2);
if (!dir || !pressesArg || (mode !== "grouped" && mode !== "plain"))
  throw new Error("usage: press-fsync-child <dir> <presses> grouped|plain");
const presses = Number(pressesArg);
const MAC = "38:1F:8D:00:00:01";

const clock = new VirtualClock({ wallStartMs: Date.parse("2026-03-02T09:00:00+08:00") });
const outbox = new SqliteOutbox({
  path: join(dir, "outbox.db"),
  home: "home-1",
  timeZone: "Asia/Shanghai",
  clock,
  ids: new SeededIds("f"),
  maxSizeBytes: 64 * 1024 * 1024,
  retentionMs: DAY_MS,
  telemetryBatch: 50,
  telemetryFlushMs: HOUR_MS,
  log: silentLogger(),
});
outbox.open();
const durably = mode === "grouped" ? <T>(fn: () => T): T => outbox.durably(fn) : undefined;
const pipeline = new Pipeline({
  home: "home-1",
  timeZone: "Asia/Shanghai",
  clock,
  ids: new SeededIds("p"),
  sink: {
    putAlert: (b) => outbox.putAlert(b),
    putEvent: (b) => outbox.putEvent(b),
    putTelemetry: (b) => outbox.putTelemetry(b),
    putSummary: (b) => outbox.putSummary(b),
    ...(durably ? { durably } : {}),
  },
  log: silentLogger(),
  detection: {
    sleepStartMin: 22 * 60,
    sleepEndMin: 7 * 60,
    maxSilenceDayMs: 7 * HOUR_MS,
    maxSilenceNightMs: 12 * HOUR_MS,
    escalateAfterMs: HOUR_MS,
    powerStepW: 150,
  },
  buttonAction: (_d, e) => (e === "press" ? "call" : undefined),
  telemetry: false,
});
pipeline.start();
const profile = testButtonProfile();
const receiver = new BthomeReceiver({
  devices: [{ config: { id: "button-1", profile: profile.id, mac: MAC, key: TEST_KEY }, profile }],
  sink: pipeline,
  clock,
  log: silentLogger(),
  counters: {
    get: (mac) => {
      const v = outbox.kv.get(`bthome.counter.${mac}`);
      return v === undefined ? undefined : Number(v);
    },
    set: (mac, counter) => outbox.kv.set(`bthome.counter.${mac}`, String(counter)),
  },
  ...(durably ? { durably } : {}),
});
receiver.start();
for (let i = 1; i <= presses; i++) {
  // Past the copy window, so each advert is a new press.
  clock.advanceBy(60_000);
  receiver.advert({ mac: MAC, serviceData: encryptedAdvert(MAC, 1000 + i) });
}
const calls = outbox.openAlerts().length;
receiver.stop();
pipeline.stop();
outbox.close();
process.stdout.write(`${JSON.stringify({ presses, calls, lastSeq: outbox.lastSeq() })}\n`);
