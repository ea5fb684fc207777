import { SeededIds } from "../../src/core/ids.js";
import { WEEK_MS } from "../../src/core/time.js";
import { describeOutbox } from "./describe-outbox.js";
import { MemoryOutbox } from "./memory-outbox.js";

let n = 0;
describeOutbox(
  "MemoryOutbox (the fake)",
  (o) =>
    new MemoryOutbox({
      home: "home-1",
      timeZone: "Asia/Shanghai",
      clock: o.clock,
      ids: new SeededIds(`memory-${n++}`),
      maxSizeBytes: o.maxSizeBytes ?? 64 * 1024 * 1024,
      retentionMs: o.retentionMs ?? WEEK_MS,
      telemetryBatch: o.telemetryBatch ?? 100,
      telemetryFlushMs: o.telemetryFlushMs ?? 2000,
    }),
);
