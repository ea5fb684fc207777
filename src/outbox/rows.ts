import type { Envelope } from "../contract/messages.js";
import { LANES, type Lane, type StoredMessage } from "../contract/stored.js";

/**
 * A `messages` row as the queries that hand out stored messages select it: `delivered` is 1 or 0 as the
 * query found it in `pending` (not the row's column of that name, see schema.ts, version 4).
 */
export interface Row {
  seq: number;
  id: string;
  lane: number;
  type: string;
  delivered: number;
  envelope: string;
}

/** The same columns as a statement in raw mode returns them: an array per row, in Row's order. */
export type RawRow = [
  seq: number,
  id: string,
  lane: number,
  type: string,
  delivered: number,
  envelope: string,
  /** The page read's key column (`pending.resend`), for the pending mirror. */
  resend?: number,
];

/**
 * Whether the `messages` row aliased `m` is pending (schema 4: its key is in `pending`): two probes of the
 * table's key, one per `resend` value.
 */
export const IS_PENDING =
  "EXISTS (SELECT 1 FROM pending p WHERE p.resend IN (0, 1) AND p.lane = m.lane AND p.seq = m.seq)";

/** Lanes as stored: the pending table sorts in replay order. */
export const LANE_CODE: Record<Lane, number> = { alert: 0, event: 1, telemetry: 2 };

/** Alert states whose latest message must be kept (pruning, the size bound) and republished. */
export const OPEN_STATES = "('raised', 'escalated')";

/**
 * Accounted bytes per row beyond its JSON: row header, the id index and the partial indexes. An
 * estimate, so that many tiny rows are not free; the outbox size is a logical size, not the file size
 * (SQLite reuses freed pages but never shrinks the file without a vacuum).
 */
export const ROW_OVERHEAD = 96;

export function rowBytes(json: string): number {
  return Buffer.byteLength(json) + ROW_OVERHEAD;
}

/**
 * A row as the outbox hands it out. The envelope is parsed when first asked for: the uplink publishes
 * `json` as it is and never needs it, so a replay allocates no envelope per row. A class, with the
 * getter on its prototype: an object literal with a getter of its own cost V8 about 5 µs a row, most of
 * a page read (docs/BENCHMARKS.md, replay).
 */
class StoredRow implements StoredMessage {
  readonly seq: number;
  readonly id: string;
  readonly lane: Lane;
  readonly type: StoredMessage["type"];
  readonly json: string;
  readonly delivered: boolean;
  #envelope: Envelope | undefined;

  constructor(seq: number, id: string, lane: number, type: string, delivered: number, json: string) {
    this.seq = seq;
    this.id = id;
    this.lane = LANES[lane] as Lane;
    this.type = type as StoredMessage["type"];
    this.json = json;
    this.delivered = delivered === 1;
  }

  get envelope(): Envelope {
    this.#envelope ??= JSON.parse(this.json) as Envelope;
    return this.#envelope;
  }
}

export function toStored(r: Row): StoredMessage {
  return new StoredRow(r.seq, r.id, r.lane, r.type, r.delivered, r.envelope);
}

/** A row a commit has just inserted, pending, as the page read would return it (the pending mirror). */
export function pendingRow(seq: number, id: string, lane: number, type: string, json: string): StoredMessage {
  return new StoredRow(seq, id, lane, type, 0, json);
}

/** A raw-mode row (RawRow) as a stored message: the drain's page read, where a row object per row shows. */
export function rawToStored(r: RawRow): StoredMessage {
  return new StoredRow(r[0], r[1], r[2], r[3], r[4], r[5]);
}
