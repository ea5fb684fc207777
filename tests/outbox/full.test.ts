import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it, vi } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { ErrorCode, isHearthError } from "../../src/core/errors.js";
import { SeededIds } from "../../src/core/ids.js";
import { WEEK_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { captureLog } from "../helpers/log-capture.js";
import { alertBody, alertId, eventBody, telemetryBody } from "./fixtures.js";

// The outbox keeps its connection private; the test needs it to lower SQLite's page limit, which is
// how a full disk looks to the outbox (SQLITE_FULL), without filling a real disk.
const { opened } = vi.hoisted(() => ({ opened: [] as BetterSqlite3.Database[] }));
vi.mock("better-sqlite3", async (importOriginal) => {
  const real = (await importOriginal<{ default: typeof BetterSqlite3 }>()).default;
  function Tracked(...args: ConstructorParameters<typeof BetterSqlite3>): BetterSqlite3.Database {
    const db = new real(...args);
    opened.push(db);
    return db;
  }
  return { default: Tracked };
});

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
    const outbox = new SqliteOutbox({
      path: join(dir, name),
      home: "home-1",
      timeZone: "Asia/Shanghai",
      clock: new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) }),
      ids: new SeededIds(name),
      maxSizeBytes: 64 * 1024 * 1024,
      retentionMs: WEEK_MS,
      telemetryBatch,
      telemetryFlushMs: 2000,
      log: capture.log,
    });
    outbox.open();
    const db = opened.at(-1);
    if (!db) throw new Error("the outbox opened no database");
    return { outbox, db, capture };
  };
  const big = (n: number) => ({ ...alertBody(alertId(n)), evidence: { note: "x".repeat(64 * 1024) } });

  it("refuses an alert it cannot store with OutboxFull, and keeps what it had", () => {
    const { outbox, db } = open("alert.db");
    const before = outbox.putEvent(eventBody(1));
    fillDisk(db);
    let caught: unknown;
    try {
      outbox.putAlert(big(1));
    } catch (e) {
      caught = e;
    }
    expect(isHearthError(caught, ErrorCode.OutboxFull)).toBe(true);
    expect(outbox.lastSeq()).toBe(before.seq);
    expect(outbox.pending(10).map((m) => m.id)).toEqual([before.id]);
    expect(outbox.alertState(alertId(1))).toBeUndefined();
    // Space again: the next write takes the next seq, none was burnt by the refused one.
    db.pragma("max_page_count = 1073741823");
    expect(outbox.putAlert(big(2)).seq).toBe(before.seq + 1);
    outbox.close();
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
