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
 * The envelope is parsed when first asked for: the uplink publishes `json` as it is and never needs it,
 * so a replay allocates no envelope per row.
 */
export function toStored(r: Row): StoredMessage {
  let envelope: Envelope | undefined;
  return {
    seq: r.seq,
    id: r.id,
    lane: LANES[r.lane] as Lane,
    type: r.type as StoredMessage["type"],
    get envelope(): Envelope {
      envelope ??= JSON.parse(r.envelope) as Envelope;
      return envelope;
    },
    json: r.envelope,
    delivered: r.delivered === 1,
  };
}
