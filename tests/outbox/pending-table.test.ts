import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { SECOND_MS, WEEK_MS } from "../../src/core/time.js";
import { inspectOutbox } from "../../src/outbox/inspect.js";
import { minReaderKey, SCHEMA_VERSION } from "../../src/outbox/schema.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { alertBody, alertId, eventBody, outboxOptions, telemetryBody } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "hearth-pending-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function outboxAt(path: string, clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) })) {
  const outbox = new SqliteOutbox(
    outboxOptions(path, { clock, ids: new SeededIds(path), retentionMs: WEEK_MS, telemetryBatch: 10 }),
  );
  outbox.open();
  return outbox;
}

/** The pending read of schema 3 (and 2), as that code runs it: the row's own `delivered` column. */
const OLD_PENDING = "SELECT seq FROM messages WHERE delivered = 0 ORDER BY resend, lane, seq";

function query<T>(path: string, sql: string): T[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}
const seqsOf = (path: string, sql: string) => query<{ seq: number }>(path, sql).map((r) => r.seq);
const meta = (path: string, key: string) =>
  query<{ value: string }>(path, `SELECT value FROM meta WHERE key = '${key}'`)[0]?.value;

/** A schema 4 file brought back to schema 3's layout: the delivered state in the row, the partial index. */
function toSchema3(path: string): void {
  const raw = new Database(path);
  raw.exec(`UPDATE messages SET delivered = seq NOT IN (SELECT seq FROM pending);
    UPDATE messages SET resend = 1 WHERE seq IN (SELECT seq FROM pending WHERE resend = 1);
    DROP TRIGGER pending_insert; DROP TRIGGER pending_delete; DROP TRIGGER pending_column;
    DROP TABLE pending;
    CREATE INDEX messages_pending_v2 ON messages (resend, lane, seq) WHERE delivered = 0;
    UPDATE meta SET value = '3' WHERE key = 'schema'; DELETE FROM meta WHERE key = 'min_reader.4';`);
  raw.close();
}

describe("outbox schema 4: the delivered state in a table of its own (issue 14, replay)", () => {
  it("migrates a schema 3 file: every pending row stays pending in replay order, nothing delivered comes back", () => {
    const path = join(dir, "v3.db");
    const a = outboxAt(path);
    const alert = a.putAlert(alertBody(alertId(1)));
    const events = [a.putEvent(eventBody(1)), a.putEvent(eventBody(2)), a.putEvent(eventBody(3))];
    for (let i = 0; i < 12; i++) a.putTelemetry(telemetryBody(i));
    a.flush();
    const telemetry = a
      .pending(100)
      .filter((m) => m.lane === "telemetry")
      .map((m) => m.seq);
    a.markDelivered([alert.seq, events[1]?.seq ?? 0, ...telemetry.slice(0, 5)]);
    // A requeued row (the cloud's resend) drains after fresh ones.
    expect(a.resend(events[1]?.seq ?? 0, events[1]?.seq, 10).requeued).toBe(1);
    const pendingBefore = a.pending(100).map((m) => m.seq);
    const delivered = a.deliveredRange(0).map((m) => m.seq);
    a.close();
    // `hearth doctor` reads a file no agent may have migrated: the same depth either way.
    expect(inspectOutbox(path).depth).toEqual({ alert: 0, event: 3, telemetry: 7 });
    toSchema3(path);
    expect(inspectOutbox(path).depth).toEqual({ alert: 0, event: 3, telemetry: 7 });
    // As schema 3 read it: the same rows, in the same order.
    expect(seqsOf(path, OLD_PENDING)).toEqual(pendingBefore);

    const b = outboxAt(path);
    expect(b.pending(100).map((m) => m.seq)).toEqual(pendingBefore);
    expect(pendingBefore.at(-1)).toBe(events[1]?.seq);
    expect(b.deliveredRange(0).map((m) => m.seq)).toEqual(delivered);
    expect(b.depth()).toEqual({ alert: 0, event: 3, telemetry: 7 });
    b.close();
    expect(meta(path, "schema")).toBe(String(SCHEMA_VERSION));
    expect(meta(path, minReaderKey(4))).toBe("2");
    expect(query(path, "SELECT name FROM sqlite_master WHERE name = 'messages_pending_v2'")).toEqual([]);
  });

  it("a delivery mark writes keys of `pending`, not the rows: 2,000 marks, a small fraction of the WAL frames", () => {
    const path = join(dir, "frames.db");
    const a = outboxAt(path);
    for (let i = 0; i < 2256; i++) a.putTelemetry(telemetryBody(i));
    a.flush();
    const seqs = a.pending(3000).map((m) => m.seq);
    expect(seqs.length).toBe(2256);
    a.close();
    const old = join(dir, "frames-v3.db");
    copyFileSync(path, old);
    toSchema3(old);

    // This code: the drain's deferred marks (20 PUBACKs at a time), written in batches of 256 (bulk),
    // and `settle`, which checkpoints what the marks wrote: `log` counts their frames.
    const b = outboxAt(path);
    const ack = (from: number, to: number) => {
      for (let i = from; i < to; i += 20) b.markDeliveredLater(seqs.slice(i, Math.min(i + 20, to)));
    };
    ack(0, 256);
    expect(b.settle()?.checkpointed).toBeGreaterThan(0);
    ack(256, seqs.length);
    const frames = b.settle()?.log ?? Number.NaN;
    expect(b.depth().telemetry).toBe(0);
    b.close();

    // Schema 3's marks on the same rows, batches of 256, one UPDATE per run, as delivery.ts ran them.
    const raw = new Database(old);
    raw.pragma("journal_mode = WAL");
    raw.pragma("synchronous = NORMAL");
    raw.pragma("wal_autocheckpoint = 0");
    const upd = raw.prepare(
      "UPDATE messages SET delivered = 1, delivered_ms = ?, resend = 0 WHERE seq BETWEEN ? AND ? AND delivered = 0",
    );
    raw.pragma("wal_checkpoint(TRUNCATE)");
    for (let i = 256; i < seqs.length; i += 256) {
      const batch = seqs.slice(i, i + 256);
      raw.transaction(() => upd.run(Date.now(), batch[0], batch.at(-1)))();
    }
    const oldFrames = (raw.pragma("wal_checkpoint(PASSIVE)") as { log: number }[])[0]?.log ?? 0;
    raw.close();

    // The old layout rewrote a leaf per two rows or so (about 1,000 frames); the keys fit ~100 a page.
    if (process.env.HEARTH_PRINT_FRAMES) console.log({ frames, oldFrames });
    expect(oldFrames).toBeGreaterThan(800);
    expect(frames).toBeLessThan(150);
    expect(frames * 5).toBeLessThan(oldFrames);
  });

  it("an older release reads every pending row from the row's column, and its own writes are followed", () => {
    const path = join(dir, "rollback.db");
    const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) });
    const a = outboxAt(path, clock);
    const events = [1, 2, 3, 4].map((n) => a.putEvent(eventBody(n)).seq);
    // A burst committed with its rows acknowledged: delivered in the column, no `pending` key.
    a.putTelemetry(telemetryBody(1));
    a.flush();
    a.markDelivered(
      a
        .pending(10)
        .filter((m) => m.lane === "telemetry")
        .map((m) => m.seq),
    );
    a.putTelemetry(telemetryBody(2));
    const burst = a
      .pending(10)
      .filter((m) => m.lane === "telemetry")
      .map((m) => m.seq);
    expect(burst).toHaveLength(1);
    a.markDeliveredLater(burst);
    clock.advanceBy(2 * SECOND_MS);
    // A burst row not acknowledged: committed pending at close.
    a.putTelemetry(telemetryBody(3));
    const third = a.pending(100).at(-1)?.seq ?? 0;
    a.markDelivered([events[0] ?? 0, events[2] ?? 0]);
    const pending = a.pending(100).map((m) => m.seq);
    a.close();
    expect(pending).toEqual([events[1], events[3], third]);
    expect(seqsOf(path, "SELECT seq FROM pending")).toHaveLength(pending.length);
    expect(seqsOf(path, "SELECT seq FROM messages WHERE seq IN (SELECT seq FROM pending)")).toEqual(
      [...pending].sort((x, y) => x - y),
    );
    // Schema 3's pending read over this file: every pending row, and some delivered ones (duplicates
    // the receiver drops by id), never one of the burst's rows committed delivered.
    const old = seqsOf(path, OLD_PENDING);
    for (const s of pending) expect(old).toContain(s);
    for (const s of burst) expect(old).not.toContain(s);

    // The older release runs on the file (statements as schema 3's code has them): a mark, a requeue,
    // a new row, and a delete (prune or the size bound).
    const raw = new Database(path);
    raw
      .prepare(
        "UPDATE messages SET delivered = 1, delivered_ms = 1, resend = 0 WHERE seq BETWEEN ? AND ? AND delivered = 0",
      )
      .run(events[1], events[1]);
    raw
      .prepare(
        "UPDATE messages SET delivered = 0, delivered_ms = NULL, resend = 1 WHERE seq = ? AND delivered = 1",
      )
      .run(burst[0]);
    const newest = Math.max(...seqsOf(path, "SELECT seq FROM messages")) + 1;
    raw
      .prepare(
        `INSERT INTO messages (seq, id, lane, type, wall_ms, synced, bytes, envelope)
           SELECT ?, 'id-old', lane, type, wall_ms, synced, bytes, envelope FROM messages WHERE seq = ?`,
      )
      .run(newest, events[3]);
    raw.prepare("DELETE FROM messages WHERE seq = ?").run(events[3]);
    raw.close();

    const b = outboxAt(path, clock);
    // Marked by the older release: not sent again. Requeued by it: pending, after fresh rows. Written
    // by it: pending. Deleted by it: gone from `pending` too.
    expect(b.pending(100).map((m) => m.seq)).toEqual([newest, third, burst[0]]);
    expect(b.depth()).toEqual({ alert: 0, event: 1, telemetry: 2 });
    b.close();
    expect(seqsOf(path, "SELECT seq FROM pending WHERE seq NOT IN (SELECT seq FROM messages)")).toEqual([]);
  });
});
