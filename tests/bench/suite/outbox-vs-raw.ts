/**
 * The outbox's writes against raw better-sqlite3 writing the same rows into the same table (the
 * outbox's schema, its indexes included) with the same pragmas and the same durability, in alternating rounds of one run, so that the ratio holds on a noisy machine:
 * durable alert puts (one FULL commit each) against one INSERT per FULL transaction, and batched
 * telemetry (100 rows per NORMAL commit) against 100 INSERTs per NORMAL transaction.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { buildEnvelope } from "../../../src/contract/envelope.js";
import { SystemClock } from "../../../src/core/clock.js";
import { randomIds } from "../../../src/core/ids.js";
import { silentLogger } from "../../../src/core/log.js";
import { WEEK_MS } from "../../../src/core/time.js";
import { migrate } from "../../../src/outbox/schema.js";
import { SqliteOutbox } from "../../../src/outbox/sqlite.js";
import { alertBody, telemetryBody } from "../../outbox/fixtures.js";
import { median, type SuiteRow } from "./table.js";

const BATCH = 100;

/** An outbox on disk in `dir` for the benchmarks: telemetry in batches of 100, flushed by count. */
export function benchOutbox(dir: string, name: string): SqliteOutbox {
  const o = new SqliteOutbox({
    path: join(dir, `${name}.db`),
    home: "bench",
    timeZone: "Asia/Shanghai",
    clock: new SystemClock(),
    ids: randomIds,
    maxSizeBytes: 512 * 1024 * 1024,
    retentionMs: WEEK_MS,
    telemetryBatch: BATCH,
    telemetryFlushMs: 60_000,
    log: silentLogger(),
  });
  o.open();
  return o;
}

/** The outbox's messages table written with raw better-sqlite3, with the same pragmas. */
function raw(dir: string, name: string) {
  const db = new Database(join(dir, `${name}.db`));
  // As the outbox opens a fresh file (issue 14): the WAL index in memory, not in a shared -shm,
  // and 1 KiB pages.
  db.pragma("locking_mode = EXCLUSIVE");
  db.pragma("page_size = 1024");
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  // The outbox's own table, indexes included: the ratio is then what our code adds, not the schema.
  migrate(db);
  const insert = db.prepare(
    "INSERT INTO messages (seq, id, lane, type, wall_ms, synced, bytes, envelope) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  let seq = 0;
  const row = (type: "alert" | "telemetry", body: unknown) => {
    seq++;
    const env = buildEnvelope(type, body as never, {
      id: randomUUID(),
      home: "bench",
      seq,
      laneSeq: seq,
      ts: "2026-03-02T09:00:00.000+08:00",
      synced: true,
    });
    const json = JSON.stringify(env);
    insert.run(seq, env.id, 0, type, Date.now(), 1, json.length, json);
  };
  return { db, row };
}

/** CPU time (user and system) this process spent on the latest `rate`, in ms. */
let lastCpuMs = 0;

/** Rows per second (wall clock) of `fn` writing `n` rows; `lastCpuMs` is set to the CPU time it took. */
function rate(n: number, fn: (i: number) => void): number {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  lastCpuMs = (c.user + c.system) / 1000;
  return (n / ms) * 1000;
}

/** Rounds run first and not counted: V8 had not finished optimising the outbox's code before the third. */
const WARMUP_ROUNDS = 2;

/**
 * Each round opens a fresh outbox and a fresh raw database and runs each measure on both back to back,
 * ours first in even rounds and raw first in odd ones, so that a slow stretch of a shared machine falls
 * on both sides alike; the ratio is the median of the rounds' ratios, the rates the medians of the rounds.
 * The first WARMUP_ROUNDS are not counted (both sides run them).
 */
export function outboxVsRaw(quick: boolean): SuiteRow[] {
  const dir = mkdtempSync(join(tmpdir(), "hearth-bench-suite-"));
  const rounds = quick ? 5 : 9;
  const durableN = quick ? 200 : 1000;
  const batchedN = quick ? 5000 : 20000;
  const ours = { durable: [] as number[], batched: [] as number[] };
  const theirs = { durable: [] as number[], batched: [] as number[] };
  // The batched writes' CPU time per round: on a shared machine the wall clock also counts waiting for a
  // core; CPU time shows what each side's code costs (it leaves out waiting for the disk, which the
  // wall-clock ratio, the budget's figure, keeps).
  const cpu = { ours: [] as number[], theirs: [] as number[] };
  try {
    for (let r = 0; r < WARMUP_ROUNDS + rounds; r++) {
      const kept = r >= WARMUP_ROUNDS;
      const keep = (into: number[], value: number) => {
        if (kept) into.push(value);
      };
      const o = benchOutbox(dir, `ours-${r}`);
      const w = raw(dir, `raw-${r}`);
      const one = w.db.transaction((i: number) =>
        w.row("alert", alertBody(`alert-${r}-${String(i).padStart(6, "0")}`)),
      );
      const many = w.db.transaction((from: number) => {
        for (let i = from; i < from + BATCH; i++) w.row("telemetry", telemetryBody(i));
      });
      const both = (a: () => void, b: () => void) => {
        for (const f of r % 2 === 0 ? [a, b] : [b, a]) f();
      };
      both(
        () =>
          keep(
            ours.durable,
            rate(durableN, (i) => o.putAlert(alertBody(`alert-${r}-${String(i).padStart(6, "0")}`))),
          ),
        () =>
          keep(
            theirs.durable,
            rate(durableN, (i) => one.immediate(i)),
          ),
      );
      both(
        () => {
          keep(
            ours.batched,
            rate(batchedN, (i) => {
              o.putTelemetry(telemetryBody(i));
              if (i === batchedN - 1) o.flush();
            }),
          );
          keep(cpu.ours, lastCpuMs);
        },
        () => {
          // The outbox commits telemetry with NORMAL (its alerts with FULL): the same here.
          w.db.pragma("synchronous = NORMAL");
          keep(theirs.batched, rate(batchedN / BATCH, (b) => many.immediate(b * BATCH)) * BATCH);
          keep(cpu.theirs, lastCpuMs);
          w.db.pragma("synchronous = FULL");
        },
      );
      o.close();
      w.db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Rows per CPU second are batchedN / ms: the ratio of ours to raw is raw's CPU time over ours.
  const cpuRatio = median(cpu.ours.map((x, i) => (cpu.theirs[i] as number) / x));
  const row = (what: string, a: number[], b: number[], budget?: number): SuiteRow => {
    const ratio = median(a.map((x, i) => x / (b[i] as number)));
    return {
      measure: what,
      ours: `${Math.round(median(a))} rows/s`,
      baseline: `${Math.round(median(b))} rows/s (raw better-sqlite3)`,
      ratio,
      ...(budget !== undefined ? { budget: `≥ ${budget}×`, met: ratio >= budget } : {}),
    };
  };
  return [
    row("outbox durable alert puts (one FULL commit each)", ours.durable, theirs.durable),
    row(
      `outbox batched telemetry (${BATCH} rows per NORMAL commit; in CPU time ${cpuRatio.toFixed(2)}×)`,
      ours.batched,
      theirs.batched,
      0.8,
    ),
  ];
}
