import type { Envelope } from "../contract/messages.js";
import type { Logger } from "../core/log.js";
import type { SizeBound } from "./bound.js";
import type { Ledger } from "./db.js";
import type { DurableGroup, GroupLoss } from "./durable-group.js";
import type { FailSafeKv } from "./kv.js";
import { type Held, heldRow, type MemoryLane } from "./memory-lane.js";
import type { SeqFloor } from "./seq-floor.js";
import type { CommitMode, Committed, Draft } from "./write.js";

/**
 * An alert, event or summary: in a durable group's transaction when one runs (durable-group.ts), else
 * without its own fsync inside a group (its barrier makes it durable), else with it. A failed write in
 * the transaction rolls it back (`abort`) before the storage guard hears of the failure.
 */
export function commitDurable(
  group: DurableGroup,
  d: Draft,
  commit: (drafts: Draft[], mode: CommitMode) => Committed,
): Envelope {
  if (!group.join()) {
    if (group.active) group.deferred();
    return commit([d], group.active ? "relaxed" : "durable").envelopes[0] as Envelope;
  }
  try {
    const { envelopes, shed } = commit([d], "joined");
    const envelope = envelopes[0] as Envelope;
    group.wrote(heldRow(d, envelope), shed);
    return envelope;
  } catch (e) {
    group.abort(e);
    throw e;
  }
}

/** Where a rolled-back group's writes are kept. */
export interface LossKeepers {
  ledger: Ledger;
  bound: SizeBound;
  floor: SeqFloor;
  lane: MemoryLane;
  kv: FailSafeKv;
  log: Logger;
  notify: () => void;
}

/**
 * A durable group's transaction was rolled back (a write in it or its commit failed): its rows go to the
 * memory lane with their ids and seqs (published from there, written back by the storage check), its
 * kv values to the kv's memory, and the ledger's size back to what the disk holds.
 */
export function keepLoss(k: LossKeepers, loss: GroupLoss, e: unknown): void {
  k.ledger.size = loss.size;
  k.bound.uncounted(loss.shed);
  if (loss.rows.length > 0) {
    k.floor.holding();
    for (const dropped of k.lane.keep(loss.rows)) logDropped(k.log, k.lane, dropped);
  }
  k.kv.keep(loss.kv);
  k.log.error(
    { err: e, rows: loss.rows.length, kv: loss.kv.size, memory_lane: k.lane.size },
    "Durable group rolled back: its messages are held in memory",
  );
  k.notify();
}

/** The memory lane was full and let `dropped` go. */
export function logDropped(log: Logger, lane: MemoryLane, dropped: Held): void {
  log.error(
    {
      dropped_seq: dropped.message.seq,
      dropped_type: dropped.message.type,
      delivered: dropped.message.delivered,
      dropped_total: lane.dropped,
    },
    "Memory lane full: dropped a held message",
  );
}
