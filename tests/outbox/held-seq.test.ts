import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { WEEK_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { captureLog } from "../helpers/log-capture.js";
import { alertBody, alertId } from "./fixtures.js";
import { cannotMount, mountTmpfs, type Tmpfs } from "./tmpfs.js";

/**
 * Found by the fault suite (tests/faults/disk-full.test.ts): alerts held in memory on a full disk are
 * published with their seq and lane_seq; when the process is killed in that state, the next start
 * must not hand those numbers out again (a receiver would see two alerts under one lane_seq).
 */
let n = 0;
function outboxAt(path: string, ballastBytes = 0) {
  return new SqliteOutbox({
    path,
    home: "home-1",
    timeZone: "Asia/Shanghai",
    clock: new VirtualClock({ wallStartMs: Date.UTC(2026, 2, 2, 1, 2, 3) }),
    ids: new SeededIds(`held-${n++}`),
    maxSizeBytes: 64 * 1024 * 1024,
    retentionMs: WEEK_MS,
    telemetryBatch: 50,
    telemetryFlushMs: 2000,
    ballastBytes,
    log: captureLog().log,
  });
}

describe.skipIf(cannotMount() !== undefined)("seq after a kill while alerts were held in memory", () => {
  let fs: Tmpfs | undefined;
  afterEach(() => {
    fs?.unmount();
    fs = undefined;
  });

  it("the next start hands out no seq or lane_seq the held alerts had", () => {
    fs = mountTmpfs(2 * 1024 * 1024);
    const path = join(fs.dir, "outbox.db");
    const dead = outboxAt(path);
    dead.open();
    dead.putAlert(alertBody(alertId(0)));
    const filler = fs.fill();
    const held = [];
    for (let i = 1; i <= 20; i++)
      held.push(dead.putAlert({ ...alertBody(alertId(i)), evidence: { note: "z".repeat(4000) } }));
    expect(dead.storageHealth().memory_lane).toBeGreaterThan(0);
    // Killed: `dead` is never closed, its held alerts never written. Space comes back; a new life.
    rmSync(filler);
    const next = outboxAt(path);
    next.open();
    const fresh = next.putAlert(alertBody(alertId(99)));
    const heldOnly = held.filter((h) => h.seq > 1);
    expect(fresh.seq).toBeGreaterThan(Math.max(...heldOnly.map((h) => h.seq)));
    expect(fresh.lane_seq).toBeGreaterThan(Math.max(...heldOnly.map((h) => h.lane_seq ?? 0)));
    next.close();
  });
});

describe.skipIf(cannotMount() !== undefined)("lane_seq after a read-only run", () => {
  let fs: Tmpfs | undefined;
  afterEach(() => {
    fs?.unmount();
    fs = undefined;
  });

  // Found by tests/faults/read-only-state.test.ts: the read-only run raised seq above the mark but
  // left every lane where the file was, so the next writable run gave its first alert the lane_seq
  // the read-only run had already published.
  it("the next writable run does not hand out the lane_seq the read-only run published", () => {
    fs = mountTmpfs(2 * 1024 * 1024);
    const path = join(fs.dir, "outbox.db");
    const before = outboxAt(path);
    before.open();
    before.putAlert(alertBody(alertId(0)));
    before.close();
    fs.readOnly();
    const ro = outboxAt(path);
    ro.open();
    const published = ro.putAlert(alertBody(alertId(1)));
    ro.close();
    fs.readWrite();
    const after = outboxAt(path);
    after.open();
    const next = after.putAlert(alertBody(alertId(2)));
    expect(next.lane_seq).not.toBe(published.lane_seq);
    expect(next.seq).not.toBe(published.seq);
    after.close();
  });
});

describe.skipIf(cannotMount() !== undefined)(
  "seq after a kill on a full disk, the mark's reserve used up",
  () => {
    let fs: Tmpfs | undefined;
    afterEach(() => {
      fs?.unmount();
      fs = undefined;
    });

    // Found by the --full disk-full fault scenario: the mark is reserved only a block ahead and cannot
    // be moved on a full disk, so held messages went past it and the next life (above the mark) reused
    // their seqs. The ballast's room, when it is given back, is where the mark can still be moved.
    it("held seqs past the old reserve do not come again after the kill", () => {
      fs = mountTmpfs(3 * 1024 * 1024);
      const path = join(fs.dir, "outbox.db");
      const first = outboxAt(path, 256 * 1024);
      first.open();
      first.putAlert(alertBody(alertId(0)));
      first.close();
      // A reserve nearly used up, as it is at any moment of a busy run.
      writeFileSync(`${path}.seq`, "40\n");
      const dead = outboxAt(path, 256 * 1024);
      dead.open();
      const filler = fs.fill();
      const made = [];
      for (let i = 1; i <= 400; i++)
        made.push(dead.putAlert({ ...alertBody(alertId(i)), evidence: { note: "q".repeat(2000) } }));
      expect(dead.storageHealth().memory_lane).toBeGreaterThan(0);
      rmSync(filler);
      const next = outboxAt(path, 256 * 1024);
      next.open();
      const fresh = next.putAlert(alertBody(alertId(999)));
      expect(fresh.seq).toBeGreaterThan(Math.max(...made.map((m) => m.seq)));
      next.close();
    });
  },
);
