/**
 * Child process of later-marks.test.ts: two slots of telemetry, each acknowledged with deferred marks
 * (`markDeliveredLater`), then waits to be killed. Reports "SLOT <n> <id> ..." after each slot's marks
 * were handed over, and "DONE" at the end.
 */
import { SystemClock } from "../../src/core/clock.js";
import { HOUR_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { outboxOptions, telemetryBody } from "./fixtures.js";

const path = process.argv[2];
if (!path) throw new Error("usage: later-marks-child <db path>");

const outbox = new SqliteOutbox(
  outboxOptions(path, {
    clock: new SystemClock(),
    maxSizeBytes: 256 * 1024 * 1024,
    telemetryFlushMs: HOUR_MS,
    laterMarksMs: HOUR_MS,
  }),
);
outbox.open();
for (const slot of [1, 2]) {
  for (let i = 0; i < 6; i++) outbox.putTelemetry(telemetryBody(slot * 10 + i));
  outbox.flush();
  // What the drain does once the broker acknowledged them.
  const sent = outbox.pending(100);
  outbox.markDeliveredLater(sent.map((m) => m.seq));
  process.stdout.write(`SLOT ${slot} ${sent.map((m) => m.id).join(" ")}\n`);
}
process.stdout.write("DONE\n");
setInterval(() => {}, 1000);
