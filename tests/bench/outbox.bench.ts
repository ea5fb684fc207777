import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bench, describe } from "vitest";
import { alertBody, telemetryBody } from "../outbox/fixtures.js";
import { benchOutbox } from "./suite/outbox-vs-raw.js";

/** One op = one put. Durable alert puts fsync each commit; telemetry commits once per batch of 100. */
const dir = mkdtempSync(join(tmpdir(), "hearth-bench-outbox-"));
let n = 0;
const open = (name: string) => benchOutbox(dir, `${name}-${n++}`);

describe("outbox writes on disk", () => {
  const alerts = open("alerts");
  let i = 0;
  bench(
    "putAlert, durable (WAL, synchronous=FULL, one commit per put)",
    () => {
      alerts.putAlert(alertBody(`alert-${String(i++).padStart(8, "0")}`));
    },
    { time: 3000, warmupIterations: 5 },
  );

  const tele = open("telemetry");
  let t = 0;
  bench(
    "putTelemetry, batched (100 rows per commit)",
    () => {
      tele.putTelemetry(telemetryBody(t++));
    },
    { time: 3000, warmupIterations: 100 },
  );
});
