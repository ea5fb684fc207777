import type { Envelope } from "../contract/messages.js";
import { LANES, type Lane, type StoredMessage } from "../contract/stored.js";

/** A `messages` row as the queries that hand out stored messages select it (see COLUMNS). */
export interface Row {
  seq: number;
  id: string;
  lane: number;
  type: string;
  delivered: number;
  envelope: string;
}

export const COLUMNS = "seq, id, lane, type, delivered, envelope";

/** Lanes as stored: the pending index sorts in replay order. */
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

  constructor(r: Row) {
    this.seq = r.seq;
    this.id = r.id;
    this.lane = LANES[r.lane] as Lane;
    this.type = r.type as StoredMessage["type"];
    this.json = r.envelope;
    this.delivered = r.delivered === 1;
  }

  get envelope(): Envelope {
    this.#envelope ??= JSON.parse(this.json) as Envelope;
    return this.#envelope;
  }
}

export function toStored(r: Row): StoredMessage {
  return new StoredRow(r);
}
