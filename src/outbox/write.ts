import { buildEnvelope } from "../contract/envelope.js";
import type { AlertBody, BodyOf, Envelope } from "../contract/messages.js";
import { storedBody } from "../contract/shape.js";
import { LANE_OF, LANES, type LaneSeqs, type StoredType, takeLaneSeq } from "../contract/stored.js";
import type { Clock } from "../core/clock.js";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import type { IdSource } from "../core/ids.js";
import type { SizeBound } from "./bound.js";
import type { Ledger, OutboxDb } from "./db.js";
import { markRuns } from "./delivery.js";
import { laneSeqKey } from "./ledger.js";
import type { MirrorEntry } from "./pending-mirror.js";
import { LANE_CODE, pendingRow, rowBytes } from "./rows.js";
import { SET_META } from "./schema.js";

/** A message checked and timed, not yet given its id and seq (telemetry waits as drafts for its batch). */
export interface Draft {
  type: StoredType;
  body: BodyOf[StoredType];
  wallMs: number;
  synced: boolean;
}

/**
 * Checks the body against the contract (throws on a bug in the caller) and takes the time now. The check
 * is the plain code of contract/shape.ts, not zod: the agent never loads zod (issue 14, footprint).
 */
export function draft(type: StoredType, body: unknown, clock: Clock): Draft {
  const checked = storedBody(type, body);
  // Scaled and virtual clocks give fractional milliseconds; rows keep whole ones, as `ts` does.
  const wallMs = Math.floor(clock.wallMs());
  return { type, body: checked, wallMs, synced: clock.wallSynced() };
}

export interface WriteContext {
  db: OutboxDb;
  ledger: Ledger;
  bound: SizeBound;
  home: string;
  ids: IdSource;
  /** The home's ISO 8601 formatter. */
  ts: (ms: number) => string;
}

/** A draft's envelope with its numbers: a fresh id, the home's `ts`; the one place both lanes build it. */
export function envelopeOf(
  w: Pick<WriteContext, "home" | "ids" | "ts">,
  d: Draft,
  seq: number,
  laneSeq: number,
): Envelope {
  return buildEnvelope(d.type, d.body, {
    id: w.ids.next("msg"),
    home: w.home,
    seq,
    laneSeq,
    ts: w.ts(d.wallMs),
    synced: d.synced,
  });
}

/**
 * How a commit is made: `durable` with an fsync (alerts, events); `relaxed` without one of its own;
 * `joined` inside a durable group's open transaction (durable-group.ts), whose commit (and fsync) is the
 * group's, and whose failure the group rolls back whole.
 */
export type CommitMode = "durable" | "relaxed" | "joined";

/** What a commit wrote: the envelopes, and the undelivered telemetry its size bound shed. */
export interface Committed {
  envelopes: Envelope[];
  shed: number;
}

/**
 * Writes drafts in one transaction: seq and lane counters, rows, alert states and the size bound together; the
 * ledger moves only when the transaction committed. `marks` are delivery marks written in the same
 * transaction; `inside` runs last in it, with the counters the transaction leaves (a telemetry commit
 * moves the burst's reserve, burst.ts).
 * Throws `OutboxFull` when the disk (or SQLite's page limit) is full, `Internal` on any other failure.
 */
export function commit(
  w: WriteContext,
  drafts: readonly Draft[],
  mode: CommitMode,
  marks?: readonly number[],
  inside?: (seq: number, laneSeq: LaneSeqs) => void,
): Committed {
  const { db, ledger } = w;
  const insert = db.stmt(
    "INSERT INTO messages (seq, id, lane, type, wall_ms, synced, bytes, envelope) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const upsertAlert = db.stmt(
    `INSERT INTO alerts (alert, kind, state, device, raised_seq, latest_seq) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (alert) DO UPDATE SET kind = excluded.kind, state = excluded.state,
         device = COALESCE(excluded.device, alerts.device), latest_seq = excluded.latest_seq`,
  );
  const setMeta = db.stmt(SET_META);
  let seq = ledger.lastSeq;
  // Taken from a copy: the ledger moves only once the transaction committed.
  const laneSeq = { ...ledger.laneSeq };
  let size = ledger.size;
  let shed = 0;
  const envelopes: Envelope[] = [];
  const mirror = db.mirror;
  const appended: MirrorEntry[] = [];
  const write = () => {
    const track = mirror.known;
    for (const d of drafts) {
      seq++;
      const lane = LANE_OF[d.type];
      const env = envelopeOf(w, d, seq, takeLaneSeq(laneSeq, lane));
      const json = JSON.stringify(env);
      const bytes = rowBytes(json);
      const code = LANE_CODE[lane];
      insert.run(seq, env.id, code, d.type, d.wallMs, d.synced ? 1 : 0, bytes, json);
      if (track) appended.push({ resend: 0, lane: code, row: pendingRow(seq, env.id, code, d.type, json) });
      size += bytes;
      if (d.type === "alert") {
        const a = d.body as AlertBody;
        upsertAlert.run(a.alert, a.kind, a.state, a.device ?? null, seq, seq);
      }
      envelopes.push(env);
    }
    if (appended.length > 0) mirror.appended(appended);
    setMeta.run("seq", String(seq));
    for (const l of LANES)
      if (laneSeq[l] !== ledger.laneSeq[l]) setMeta.run(laneSeqKey(l), String(laneSeq[l]));
    // Deferred delivery marks (later-marks.ts) ride in this commit instead of one of their own.
    if (marks) markRuns(db, marks);
    ({ size, telemetry: shed } = w.bound.enforce(size));
    inside?.(seq, laneSeq);
  };
  try {
    // Joined: no savepoint of its own, since a failure rolls the group's whole transaction back
    // (commitDurable, group-writes.ts) and its rows go to the memory lane; the group's commit is durable.
    if (mode === "relaxed") db.relaxed(() => db.atomic(write));
    else if (mode === "joined") write();
    else db.atomic(write);
  } catch (e) {
    const full = (e as { code?: string }).code === "SQLITE_FULL";
    throw new HearthError(
      `Failed to write to the outbox: ${errorMessage(e)}`,
      full ? ErrorCode.OutboxFull : ErrorCode.Internal,
      { path: db.path, rows: drafts.length },
      { cause: e },
    );
  }
  ledger.lastSeq = seq;
  ledger.laneSeq = laneSeq;
  ledger.size = size;
  w.bound.counted(shed);
  return { envelopes, shed };
}
