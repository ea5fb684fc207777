import { mkdtempSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { WEEK_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import type { StorageFault } from "../../src/outbox/storage-health.js";
import { captureLog } from "../helpers/log-capture.js";
import { alertBody, alertId } from "./fixtures.js";

/**
 * Found by the fault suite (tests/faults/corrupt-outbox.test.ts): an outbox file truncated to nothing
 * opens as a new, sound database, so its queued alerts vanished without a word, and each lane jumped
 * above the seq mark with no storage alert to explain the jump. A start that finds no history where
 * the seq mark says there was some reports it.
 */
const dir = mkdtempSync(join(tmpdir(), "hearth-lost-history-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function outboxAt(path: string) {
  const outbox = new SqliteOutbox({
    path,
    home: "home-1",
    timeZone: "Asia/Shanghai",
    clock: new VirtualClock({ wallStartMs: Date.UTC(2026, 2, 2, 1, 2, 3) }),
    ids: new SeededIds(`lost-${n++}`),
    maxSizeBytes: 64 * 1024 * 1024,
    retentionMs: WEEK_MS,
    telemetryBatch: 50,
    telemetryFlushMs: 2000,
    ballastBytes: 0,
    log: captureLog().log,
  });
  const faults: (StorageFault | undefined)[] = [];
  outbox.onStorage((f) => faults.push(f));
  return { outbox, faults };
}
const tick = () => new Promise<void>((r) => setImmediate(r));

describe("outbox at start: its history gone without a trace of corruption", () => {
  it.each([
    ["truncated to nothing", (p: string) => truncateSync(p, 0)],
    ["deleted", (p: string) => rmSync(p)],
  ])("%s: a storage fault is reported, seq and lane_seq start above the mark", async (_, harm) => {
    const path = join(dir, `outbox-${n}.db`);
    const a = outboxAt(path).outbox;
    a.open();
    const queued = a.putAlert(alertBody(alertId(1)));
    a.close();
    harm(path);
    const { outbox, faults } = outboxAt(path);
    outbox.open();
    await tick();
    expect(faults).toEqual([expect.objectContaining({ reason: "corrupt" })]);
    const next = outbox.putAlert(alertBody(alertId(2)));
    expect(next.seq).toBeGreaterThan(queued.seq);
    expect(next.lane_seq).toBeGreaterThan(queued.lane_seq ?? 0);
    outbox.close();
  });

  it("a gateway's very first start reports nothing", async () => {
    const { outbox, faults } = outboxAt(join(dir, "first.db"));
    outbox.open();
    await tick();
    expect(faults).toEqual([]);
    outbox.close();
  });
});
