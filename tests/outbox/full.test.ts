import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it, vi } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { ErrorCode } from "../../src/core/errors.js";
import { SeededIds } from "../../src/core/ids.js";
import { WEEK_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { captureLog } from "../helpers/log-capture.js";
import { alertBody, alertId, eventBody, outboxOptions, telemetryBody } from "./fixtures.js";
import { lastOpened } from "./tracked-sqlite.js";

// The outbox keeps its connection private; the test needs it to lower SQLite's page limit, which is
// how a full disk looks to the outbox (SQLITE_FULL), without filling a real disk.
vi.mock("better-sqlite3", async (real) => (await import("./tracked-sqlite.js")).trackedSqlite(real));

const dir = mkdtempSync(join(tmpdir(), "hearth-outbox-full-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Holds the file at its present size: any write that needs a new page is refused. */
function fillDisk(db: BetterSqlite3.Database): void {
  const pages = db.pragma("page_count", { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);
}

describe("SqliteOutbox on a full disk", () => {
  const open = (name: string, telemetryBatch = 100) => {
    const capture = captureLog();
    const outbox = new SqliteOutbox(
      outboxOptions(join(dir, name), {
        clock: new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) }),
        ids: new SeededIds(name),
        retentionMs: WEEK_MS,
        telemetryBatch,
        log: capture.log,
      }),
    );
    outbox.open();
    const db = lastOpened();
    return { outbox, db, capture };
  };
  const big = (n: number) => ({ ...alertBody(alertId(n)), evidence: { note: "x".repeat(64 * 1024) } });

  it("an alert the full disk refuses is held in memory with the next seq, published first, then written with the same id and seq (issue 9)", async () => {
    const { outbox, db } = open("alert.db");
    const before = outbox.putEvent(eventBody(1));
    const faults: unknown[] = [];
    outbox.onStorage((f) => faults.push(f));
    fillDisk(db);
    const held = outbox.putAlert(big(1));
    expect(held.seq).toBe(before.seq + 1);
    expect(outbox.lastSeq()).toBe(held.seq);
    expect(outbox.pending(10).map((m) => m.id)).toEqual([held.id, before.id]);
    expect(outbox.alertState(alertId(1))).toMatchObject({ kind: "call", state: "raised" });
    expect(outbox.storageHealth()).toMatchObject({ state: "memory", memory_lane: 1 });
    await Promise.resolve();
    expect(faults).toEqual([expect.objectContaining({ reason: "full", memory_lane: 1 })]);
    // Still full: the check keeps it held.
    outbox.checkStorage();
    expect(outbox.storageHealth().memory_lane).toBe(1);
    // Space again: written with its id and seq, and the next write goes above it.
    db.pragma("max_page_count = 1073741823");
    outbox.checkStorage();
    expect(outbox.storageHealth()).toMatchObject({ state: "ok", memory_lane: 0 });
    await Promise.resolve();
    expect(faults).toHaveLength(2);
    expect(faults[1]).toBeUndefined();
    expect(outbox.putAlert(big(2)).seq).toBe(held.seq + 1);
    outbox.close();
    const reopened = open("alert.db").outbox;
    expect(reopened.pending(10).map((m) => [m.seq, m.id])).toEqual([
      [held.seq, held.id],
      [held.seq + 1, expect.any(String)],
      [before.seq, before.id],
    ]);
    reopened.close();
  });

  it("keeps a telemetry batch it could not commit for the next flush", () => {
    const { outbox, db, capture } = open("telemetry.db", 3);
    fillDisk(db);
    const wide = (n: number) => ({ ...telemetryBody(n), device: `meter-${"m".repeat(30_000)}-${n}` });
    outbox.putTelemetry(wide(1));
    outbox.putTelemetry(wide(2));
    outbox.putTelemetry(wide(3));
    expect(outbox.depth().telemetry).toBe(0);
    const failed = capture.lines.find((l) => l.level === 50 && l.rows === 3);
    expect(failed?.kept).toBe(3);
    expect((failed?.err as { code?: number } | undefined)?.code).toBe(ErrorCode.OutboxFull);
    db.pragma("max_page_count = 1073741823");
    outbox.flush();
    expect(outbox.depth().telemetry).toBe(3);
    outbox.close();
  });
});
