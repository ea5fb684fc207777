import type { Envelope, MessageType } from "./messages.js";

/**
 * Messages the gateway keeps until the broker acknowledged them, and the order they are replayed in
 * after an outage (docs/contract.md, `seq`). Status and reply are never stored: they say what is true
 * now, and a stale one would mislead.
 */
export type StoredType = "alert" | "event" | "summary" | "telemetry";

/** Replay priority classes, in the order they are drained. */
export type Lane = "alert" | "event" | "telemetry";
export const LANES: readonly Lane[] = ["alert", "event", "telemetry"];

/** Which lane each stored message type travels in. */
export const LANE_OF: Readonly<Record<StoredType, Lane>> = {
  alert: "alert",
  event: "event",
  summary: "event",
  telemetry: "telemetry",
};

/**
 * The lane counters: the latest lane_seq assigned per lane (0 before the first). Kept beside `seq` by
 * whoever stores messages (the outbox, and a memory lane while storage is broken).
 */
export type LaneSeqs = Record<Lane, number>;

/**
 * The next lane_seq of `lane`: takes it from `counters` (which moves). The one place the number is
 * made; a writer that may roll back takes it from a copy and keeps the copy only once committed.
 */
export function takeLaneSeq(counters: LaneSeqs, lane: Lane): number {
  counters[lane] += 1;
  return counters[lane];
}

/** One stored envelope as the outbox hands it to whoever publishes it. */
export interface StoredMessage {
  seq: number;
  id: string;
  lane: Lane;
  type: MessageType;
  envelope: Envelope;
  /**
   * The envelope as the store holds it, JSON text, when it has it as text (the outbox on disk): the
   * uplink publishes these bytes as they are instead of serialising `envelope` again.
   */
  json?: string;
  delivered: boolean;
}
