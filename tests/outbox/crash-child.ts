/**
 * Child process of crash.test.ts: writes a burst into the outbox at argv[2] and reports each put after
 * it returns ("A <id>" for alerts and events, "T <n>" for telemetry), until it is killed.
 */
import { SystemClock } from "../../src/core/clock.js";
import { HOUR_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { alertBody, eventBody, outboxOptions, telemetryBody } from "./fixtures.js";

const path = process.argv[2];
const batch = Number(process.argv[3] ?? "50");
if (!path) throw new Error("usage: crash-child <db path> [batch]");

const outbox = new SqliteOutbox(
  outboxOptions(path, {
    clock: new SystemClock(),
    maxSizeBytes: 256 * 1024 * 1024,
    telemetryBatch: batch,
    // Long enough that only the count triggers commits while the burst runs.
    telemetryFlushMs: HOUR_MS,
  }),
);
outbox.open();
process.stdout.write("READY\n");

let n = 0;
for (;;) {
  outbox.putTelemetry(telemetryBody(n));
  n++;
  // stdout to a pipe is synchronous on Linux: a line the parent reads was written after the put returned.
  process.stdout.write(`T ${n}\n`);
  if (n % 7 === 0) {
    const env =
      n % 14 === 0
        ? outbox.putAlert(alertBody(`alert-${String(n).padStart(6, "0")}`))
        : outbox.putEvent(eventBody(n));
    process.stdout.write(`A ${env.id}\n`);
  }
}
