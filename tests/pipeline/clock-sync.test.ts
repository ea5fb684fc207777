import { describe, expect, it } from "vitest";
import { ClockSyncWatcher } from "../../src/agent/clock-sync.js";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { SqliteOutbox } from "../../src/outbox/index.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";

const H = 3_600_000;

/**
 * A Pi without a real-time clock boots in 1970: the pipeline's messages say "unsynced"; when NTP
 * syncs, the watcher notices the jump and the queued messages are re-stamped with corrected times.
 */
describe("time re-stamping on clock sync", () => {
  it("an inactivity alert raised before sync carries the corrected time afterwards", () => {
    const clock = new VirtualClock({ wallStartMs: 0, synced: false });
    const outbox = new SqliteOutbox({
      path: ":memory:",
      home: "h1",
      timeZone: "Asia/Shanghai",
      clock,
      ids: new SeededIds("o"),
      maxSizeBytes: 8 << 20,
      retentionMs: 24 * H,
      telemetryBatch: 10,
      telemetryFlushMs: 1000,
      log: silentLogger(),
    });
    outbox.open();
    const p = new Pipeline({
      home: "h1",
      timeZone: "Asia/Shanghai",
      clock,
      ids: new SeededIds("p"),
      sink: outbox,
      log: silentLogger(),
      detection: {
        sleepStartMin: 22 * 60,
        sleepEndMin: 7 * 60,
        maxSilenceDayMs: 4 * H,
        maxSilenceNightMs: 12 * H,
        escalateAfterMs: 10 * H,
        powerStepW: 150,
        summary: false,
      },
      buttonAction: () => undefined,
      telemetry: false,
    });
    const syncs: number[] = [];
    const watcher = new ClockSyncWatcher(clock, (correct, jump) => {
      syncs.push(jump);
      outbox.restamp(correct);
    });
    p.start();
    watcher.start();
    // 1970-01-01T08:00+08:00 is "daytime": after 4 h of silence, an alert stamped in 1970.
    clock.advanceBy(4 * H + 60_000);
    const before = outbox.pending(10).find((m) => m.type === "alert");
    expect(before?.envelope.clock).toBe("unsynced");
    expect(before?.envelope.ts.startsWith("1970-01-01")).toBe(true);
    // NTP: wall time is really 2026-03-02T12:01+08:00 now.
    const real = Date.parse("2026-03-02T12:01:00+08:00");
    clock.setWall(real, true);
    clock.advanceBy(5_000);
    expect(syncs).toHaveLength(1);
    const after = outbox.pending(10).find((m) => m.id === before?.id);
    expect(after?.seq).toBe(before?.seq);
    expect(after?.envelope.clock).toBe("synced");
    // Raised 1 min before the sync moment: the corrected time says so.
    expect(after?.envelope.ts).toBe("2026-03-02T12:00:00.000+08:00");
    // Only once: a later look finds nothing more to correct.
    clock.advanceBy(60_000);
    expect(syncs).toHaveLength(1);
    watcher.stop();
    p.stop();
    outbox.close();
  });
});
