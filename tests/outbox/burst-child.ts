/**
 * Child process of burst.test.ts: an alert and an event committed, a first telemetry batch committed (it
 * writes the burst's reserve), then a burst published and not committed (its window is an hour), then an
 * event committed after it. Reports "C <id>" per committed alert/event, "B <seq> <lane_seq> <id>" per
 * burst row handed to the uplink, then "READY", and waits to be killed.
 */
import { SystemClock } from "../../src/core/clock.js";
import { HOUR_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { alertBody, alertId, eventBody, outboxOptions, telemetryBody } from "./fixtures.js";

const path = process.argv[2];
if (!path) throw new Error("usage: burst-child <db path>");

const outbox = new SqliteOutbox(
  outboxOptions(path, { clock: new SystemClock(), telemetryFlushMs: HOUR_MS, laterMarksMs: HOUR_MS }),
);
outbox.open();
const out = (line: string) => process.stdout.write(`${line}\n`);
out(`C ${outbox.putAlert(alertBody(alertId(1))).id}`);
out(`C ${outbox.putEvent(eventBody(1)).id}`);
outbox.putTelemetry(telemetryBody(1));
outbox.flush();
for (let i = 2; i <= 4; i++) outbox.putTelemetry(telemetryBody(i));
// What the uplink publishes now (and the broker may acknowledge): the burst, before its commit.
for (const m of outbox.pending(100).filter((x) => x.type === "telemetry" && x.seq > 3))
  out(`B ${m.seq} ${m.envelope.lane_seq} ${m.id}`);
out(`C ${outbox.putEvent(eventBody(2)).id}`);
out("READY");
setInterval(() => {}, 1000);
