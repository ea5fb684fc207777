import { describe, expect, it } from "vitest";
import { ClockSyncWatcher } from "../../src/agent/clock-sync.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { HOUR_MS, MINUTE_MS, SECOND_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/index.js";
import { pipelineRig } from "../helpers/pipeline-rig.js";

/**
 * A Pi without a real-time clock boots in 1970: the pipeline's messages say "unsynced"; when NTP
 * syncs, the watcher notices the jump and the queued messages are re-stamped with corrected times.
 */
describe("time re-stamping on clock sync", () => {
  it("an inactivity alert raised before sync carries the corrected time afterwards", () => {
    // 1970-01-01T08:00+08:00 is "daytime": after 4 h of silence, an alert stamped in 1970.
    const {
      clock,
      sink: outbox,
      p,
    } = pipelineRig(
      "1970-01-01T08:00:00+08:00",
      { escalateAfterMs: 10 * HOUR_MS, summary: false },
      {
        unsynced: true,
        sink: (clock) => {
          const outbox = new SqliteOutbox({
            path: ":memory:",
            home: "h1",
            timeZone: "Asia/Shanghai",
            clock,
            ids: new SeededIds("o"),
            maxSizeBytes: 8 << 20,
            retentionMs: 24 * HOUR_MS,
            telemetryBatch: 10,
            telemetryFlushMs: SECOND_MS,
            log: silentLogger(),
          });
          outbox.open();
          return outbox;
        },
      },
    );
    const syncs: number[] = [];
    const watcher = new ClockSyncWatcher(clock, (correct, jump) => {
      syncs.push(jump);
      outbox.restamp(correct);
    });
    watcher.start();
    clock.advanceBy(4 * HOUR_MS + MINUTE_MS);
    const before = outbox.pending(10).find((m) => m.type === "alert");
    expect(before?.envelope.clock).toBe("unsynced");
    expect(before?.envelope.ts.startsWith("1970-01-01")).toBe(true);
    // NTP: wall time is really 2026-03-02T12:01+08:00 now.
    const real = Date.parse("2026-03-02T12:01:00+08:00");
    clock.setWall(real, true);
    clock.advanceBy(5 * SECOND_MS);
    expect(syncs).toHaveLength(1);
    const after = outbox.pending(10).find((m) => m.id === before?.id);
    expect(after?.seq).toBe(before?.seq);
    expect(after?.envelope.clock).toBe("synced");
    // Raised 1 min before the sync moment: the corrected time says so.
    expect(after?.envelope.ts).toBe("2026-03-02T12:00:00.000+08:00");
    // Only once: a later look finds nothing more to correct.
    clock.advanceBy(MINUTE_MS);
    expect(syncs).toHaveLength(1);
    watcher.stop();
    p.stop();
    outbox.close();
  });
});
