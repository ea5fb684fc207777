import { isClosed } from "../contract/lifecycle.js";
import type { AlertBody, Envelope } from "../contract/messages.js";
import { LANE_OF, LANES, type Lane, type StoredMessage, takeLaneSeq } from "../contract/stored.js";
import type { SizeBound } from "./bound.js";
import type { Ledger, OutboxDb } from "./db.js";
import { type HeldRow, insertHeld, markHeld, raiseCounter } from "./held-rows.js";
import { laneSeqKey } from "./ledger.js";
import { LANE_CODE } from "./rows.js";
import type { AlertStateInfo } from "./types.js";
import { type Draft, envelopeOf, type WriteContext } from "./write.js";

/** Messages held in memory at most; beyond it, the least important goes (delivered, events, alerts). */
export const MEMORY_LANE_MAX = 2000;

/** One message the disk refused: its id and seq are given, as if it had been written. */
export type Held = HeldRow;

/** A draft given its envelope, as the memory lane keeps it: undelivered. */
export function heldRow(d: Draft, envelope: Envelope): Held {
  return {
    message: {
      seq: envelope.seq,
      id: envelope.id,
      lane: LANE_OF[d.type],
      type: d.type,
      envelope,
      delivered: false,
    },
    wallMs: d.wallMs,
    synced: d.synced,
  };
}

/**
 * Alerts and events the outbox could not write (disk full, I/O error, read-only card): kept here with
 * the id and seq they would have had, published from here (alerts first), and written to the database
 * with the same id and seq once writes work again. Bounded: when full, a delivered message goes first,
 * then the oldest event, and an alert only when nothing else is left; every drop is counted.
 */
export class MemoryLane {
  readonly #held: Held[] = [];
  readonly #max: number;
  #dropped = 0;

  constructor(max = MEMORY_LANE_MAX) {
    this.#max = max;
  }

  get size(): number {
    return this.#held.length;
  }

  /** Messages dropped because the lane was full, since start. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Gives a draft the next seq of the ledger and an id, and keeps it. Returns it and what was dropped. */
  hold(
    d: Draft,
    ledger: Ledger,
    o: Pick<WriteContext, "home" | "ids" | "ts">,
  ): { envelope: Envelope; dropped?: Held } {
    ledger.lastSeq++;
    const envelope = envelopeOf(o, d, ledger.lastSeq, takeLaneSeq(ledger.laneSeq, LANE_OF[d.type]));
    this.#held.push(heldRow(d, envelope));
    const dropped = this.#held.length > this.#max ? this.#dropOne() : undefined;
    return dropped ? { envelope, dropped } : { envelope };
  }

  /**
   * Keeps messages already numbered (a durable group's rows its rolled-back transaction did not commit),
   * in seq order. Returns what was dropped to keep the bound.
   */
  keep(rows: readonly Held[]): Held[] {
    this.#held.push(...rows);
    this.#held.sort((a, b) => a.message.seq - b.message.seq);
    const dropped: Held[] = [];
    while (this.#held.length > this.#max) {
      const d = this.#dropOne();
      if (!d) break;
      dropped.push(d);
    }
    return dropped;
  }

  #dropOne(): Held | undefined {
    const rank = (h: Held) => (h.message.delivered ? 0 : h.message.lane === "alert" ? 2 : 1);
    for (const r of [0, 1, 2]) {
      const i = this.#held.findIndex((h) => rank(h) === r);
      if (i >= 0) {
        this.#dropped++;
        return this.#held.splice(i, 1)[0];
      }
    }
    return undefined;
  }

  /** Undelivered held messages: alerts, then events, each by seq. */
  pending(limit: number): StoredMessage[] {
    const out = this.#held.filter((h) => !h.message.delivered).map((h) => h.message);
    out.sort((a, b) => LANE_CODE[a.lane] - LANE_CODE[b.lane] || a.seq - b.seq);
    return out.slice(0, Math.max(0, Math.floor(limit)));
  }

  /** Marks held messages delivered; returns the seqs that were not held here. */
  /** The held, undelivered message with this seq, if it is here. */
  queued(seq: number): StoredMessage | undefined {
    return this.#held.find((h) => h.message.seq === seq && !h.message.delivered)?.message;
  }

  markDelivered(seqs: readonly number[]): number[] {
    return markHeld(this.#held, seqs);
  }

  /** Undelivered held messages per lane, added to `stored` (those on disk). */
  depth(stored: Record<Lane, number> = { alert: 0, event: 0, telemetry: 0 }): Record<Lane, number> {
    const out: Record<Lane, number> = { ...stored };
    for (const h of this.#held) if (!h.message.delivered) out[h.message.lane]++;
    return out;
  }

  /** The latest held message of each alert, by alert id. */
  latestAlerts(): Map<string, StoredMessage> {
    const out = new Map<string, StoredMessage>();
    for (const h of this.#held)
      if (h.message.type === "alert") out.set((h.message.envelope.body as AlertBody).alert, h.message);
    return out;
  }

  /** The open alerts stored on disk, updated with what is held here: by seq. */
  openAlerts(stored: readonly StoredMessage[]): StoredMessage[] {
    const byAlert = new Map<string, StoredMessage>();
    for (const m of stored) byAlert.set((m.envelope.body as AlertBody).alert, m);
    for (const [alert, m] of this.latestAlerts()) {
      if (!isClosed((m.envelope.body as AlertBody).state)) byAlert.set(alert, m);
      else byAlert.delete(alert);
    }
    return [...byAlert.values()].sort((a, b) => a.seq - b.seq);
  }

  alertState(alertId: string, stored: AlertStateInfo | undefined): AlertStateInfo | undefined {
    let info = stored;
    for (const h of this.#held) {
      if (h.message.type !== "alert") continue;
      const b = h.message.envelope.body as AlertBody;
      if (b.alert !== alertId) continue;
      info = {
        kind: b.kind,
        state: b.state,
        raisedSeq: info?.raisedSeq ?? h.message.seq,
        ...(b.device !== undefined
          ? { device: b.device }
          : info?.device !== undefined
            ? { device: info.device }
            : {}),
      };
    }
    return info;
  }

  /**
   * Writes every held message into the database with its id and seq, in one durable transaction (so
   * they are on disk from then on), then forgets them. Throws what the database throws; nothing is
   * forgotten then.
   */
  writeTo(db: OutboxDb, ledger: Ledger, bound: SizeBound): number {
    if (this.#held.length === 0) return 0;
    const upsertAlert = db.stmt(
      `INSERT INTO alerts (alert, kind, state, device, raised_seq, latest_seq) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (alert) DO UPDATE SET kind = excluded.kind, state = excluded.state,
           device = COALESCE(excluded.device, alerts.device), latest_seq = excluded.latest_seq
         WHERE excluded.latest_seq > alerts.latest_seq`,
    );
    let size = ledger.size;
    let shed = 0;
    const held = [...this.#held].sort((a, b) => a.message.seq - b.message.seq);
    db.atomic(() => {
      for (const h of held) {
        const m = h.message;
        size += insertHeld(db, h, JSON.stringify(m.envelope));
        if (m.type === "alert") {
          const a = m.envelope.body as AlertBody;
          upsertAlert.run(a.alert, a.kind, a.state, a.device ?? null, m.seq, m.seq);
        }
      }
      raiseCounter(db, "seq", ledger.lastSeq);
      for (const l of LANES) raiseCounter(db, laneSeqKey(l), ledger.laneSeq[l]);
      ({ size, telemetry: shed } = bound.enforce(size));
    });
    ledger.size = size;
    bound.counted(shed);
    this.#held.length = 0;
    return held.length;
  }
}
