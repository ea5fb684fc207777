import { checkedBody } from "../../src/contract/checked.js";
import { buildEnvelope, restampEnvelope } from "../../src/contract/envelope.js";
import type {
  AlertBody,
  BodyOf,
  Envelope,
  EventBody,
  SummaryBody,
  TelemetryBody,
} from "../../src/contract/messages.js";
import {
  LANE_OF,
  LANES,
  type Lane,
  type LaneSeqs,
  type StoredMessage,
  type StoredType,
  takeLaneSeq,
} from "../../src/contract/stored.js";
import { isoWithOffset, restampBody } from "../../src/contract/timestamps.js";
import type { Timer } from "../../src/core/clock.js";
import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { SECOND_MS } from "../../src/core/time.js";
import { MAX_RANGE, MAX_RESEND } from "../../src/outbox/delivery.js";
import type { OutboxOptions } from "../../src/outbox/options.js";
import { PRUNE_EVERY_MS } from "../../src/outbox/prune-schedule.js";
import type { AlertStateInfo, KeyValueStore, Outbox, ResendResult } from "../../src/outbox/types.js";

export type MemoryOutboxOptions = Pick<
  OutboxOptions,
  | "home"
  | "timeZone"
  | "clock"
  | "ids"
  | "maxSizeBytes"
  | "retentionMs"
  | "telemetryBatch"
  | "telemetryFlushMs"
>;

interface Row {
  msg: StoredMessage;
  /** Requeued by a resend and not delivered again: drains after fresh rows. */
  resend: boolean;
  wallMs: number;
  synced: boolean;
  bytes: number;
}
interface Draft {
  type: StoredType;
  body: BodyOf[StoredType];
  wallMs: number;
  synced: boolean;
}

const OVERHEAD = 96;
const isOpen = (s: string) => s === "raised" || s === "escalated";

/**
 * A fake Outbox in plain memory, for tests of parts that write to or read from an outbox without
 * SQLite. It passes the same contract suite as SqliteOutbox (tests/outbox/memory.test.ts) and builds
 * its envelopes with the contract's builder; it keeps nothing across a restart. Why a second
 * implementation: docs/decisions/outbox-two-implementations.md.
 */
export class MemoryOutbox implements Outbox {
  readonly #o: MemoryOutboxOptions;
  readonly #rows = new Map<number, Row>();
  readonly #alerts = new Map<string, AlertStateInfo & { latestSeq: number }>();
  readonly #kv = new Map<string, string>();
  readonly #listeners = new Set<() => void>();
  readonly kv: KeyValueStore;
  #open = false;
  #lastSeq = 0;
  #laneSeq: LaneSeqs = { alert: 0, event: 0, telemetry: 0 };
  #size = 0;
  #buffer: Draft[] = [];
  #flushTimer: Timer | undefined;
  #pruneTimer: Timer | undefined;

  constructor(o: MemoryOutboxOptions) {
    this.#o = o;
    this.kv = {
      get: (k) => {
        this.#need();
        return this.#kv.get(k);
      },
      set: (k, v) => {
        this.#need();
        this.#kv.set(k, v);
      },
    };
  }

  open(): void {
    if (this.#open) return;
    this.#open = true;
    this.#pruneTimer = this.#o.clock.setInterval(
      () => this.#prune(),
      Math.max(SECOND_MS, Math.min(this.#o.retentionMs, PRUNE_EVERY_MS)),
    );
  }

  close(): void {
    if (!this.#open) return;
    this.flush();
    this.#flushTimer?.cancel();
    this.#pruneTimer?.cancel();
    this.#open = false;
  }

  durably<T>(fn: () => T): T {
    return fn();
  }

  putAlert(body: AlertBody): Envelope<"alert"> {
    return this.#commit([this.#draft("alert", body)])[0] as Envelope<"alert">;
  }
  putEvent(body: EventBody): Envelope<"event"> {
    return this.#commit([this.#draft("event", body)])[0] as Envelope<"event">;
  }
  putSummary(body: SummaryBody): Envelope<"summary"> {
    return this.#commit([this.#draft("summary", body)])[0] as Envelope<"summary">;
  }
  putTelemetry(body: TelemetryBody): void {
    this.#buffer.push(this.#draft("telemetry", body));
    if (this.#buffer.length >= this.#o.telemetryBatch) this.flush();
    else
      this.#flushTimer ??= this.#o.clock.setTimeout(() => {
        this.#flushTimer = undefined;
        this.flush();
      }, this.#o.telemetryFlushMs);
  }
  flush(): void {
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    if (this.#buffer.length === 0 || !this.#open) return;
    const drafts = this.#buffer;
    this.#buffer = [];
    this.#commit(drafts);
  }

  pending(limit: number): StoredMessage[] {
    this.#need();
    return this.#sorted((r) => !r.msg.delivered, true).slice(0, Math.max(0, limit));
  }
  markDelivered(seqs: readonly number[]): void {
    this.#need();
    for (const s of seqs) {
      const r = this.#rows.get(s);
      if (r && !r.msg.delivered) {
        r.msg.delivered = true;
        r.resend = false;
      }
    }
  }
  /** Nothing to save in memory: marked at once. */
  markDeliveredLater(seqs: readonly number[]): void {
    this.markDelivered(seqs);
  }
  requeue(seqs: readonly number[]): number {
    this.#need();
    let n = 0;
    for (const s of seqs) {
      const r = this.#rows.get(s);
      if (r?.msg.delivered) {
        r.msg.delivered = false;
        r.resend = true;
        n++;
      }
    }
    if (n > 0) this.#notify();
    return n;
  }
  openAlerts(): StoredMessage[] {
    this.#need();
    const out: StoredMessage[] = [];
    for (const a of this.#alerts.values()) {
      const r = this.#rows.get(a.latestSeq);
      if (isOpen(a.state) && r) out.push(structuredClone(r.msg));
    }
    return out.sort((x, y) => x.seq - y.seq);
  }
  alertState(alertId: string): AlertStateInfo | undefined {
    this.#need();
    const a = this.#alerts.get(alertId);
    if (!a) return undefined;
    const { latestSeq: _latest, ...info } = a;
    return info;
  }
  deliveredRange(fromSeq: number, toSeq?: number, limit = MAX_RANGE): StoredMessage[] {
    this.#need();
    return this.#sorted(
      (r) => r.msg.delivered && r.msg.seq >= fromSeq && r.msg.seq <= (toSeq ?? Infinity),
      false,
    ).slice(0, Math.max(0, Math.min(limit, MAX_RANGE)));
  }
  resend(fromSeq: number, toSeq: number | undefined, max: number): ResendResult {
    this.#need();
    const outstanding = [...this.#rows.values()].filter((r) => r.resend && !r.msg.delivered).length;
    if (outstanding > 0)
      throw new HearthError(`an earlier resend still has ${outstanding} messages`, ErrorCode.CommandBusy);
    const cap = Math.max(1, Math.min(Math.floor(max), MAX_RESEND));
    const rows = this.deliveredRange(fromSeq, toSeq, cap + 1);
    const seqs = rows.slice(0, cap).map((m) => m.seq);
    const requeued = this.requeue(seqs);
    const last = seqs.at(-1);
    return {
      requeued,
      ...(last !== undefined ? { through_seq: last } : {}),
      next_from_seq: rows.length > cap && last !== undefined ? last + 1 : null,
    };
  }
  depth(): Record<Lane, number> {
    this.#need();
    const d: Record<Lane, number> = { alert: 0, event: 0, telemetry: 0 };
    for (const r of this.#rows.values()) if (!r.msg.delivered) d[r.msg.lane]++;
    return d;
  }
  lastSeq(): number {
    return this.#lastSeq;
  }
  laneSeqs(): LaneSeqs {
    return { ...this.#laneSeq };
  }
  sizeBytes(): number {
    return this.#size;
  }
  restamp(corrected: (wallMs: number) => number): number {
    this.#need();
    let n = 0;
    for (const d of this.#buffer)
      if (!d.synced) {
        d.wallMs = corrected(d.wallMs);
        d.body = restampBody(d.body, corrected, (ms) => isoWithOffset(ms, this.#o.timeZone));
        d.synced = true;
        n++;
      }
    for (const r of this.#rows.values())
      if (!r.synced && !r.msg.delivered) {
        r.wallMs = corrected(r.wallMs);
        r.synced = true;
        r.msg.envelope = restampEnvelope(r.msg.envelope, r.wallMs, corrected, (ms) =>
          isoWithOffset(ms, this.#o.timeZone),
        );
        n++;
      }
    return n;
  }
  onWrite(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #draft(type: StoredType, body: unknown): Draft {
    this.#need();
    return {
      type,
      body: checkedBody(type, body),
      wallMs: Math.floor(this.#o.clock.wallMs()),
      synced: this.#o.clock.wallSynced(),
    };
  }

  #commit(drafts: Draft[]): Envelope[] {
    const out: Envelope[] = [];
    for (const d of drafts) {
      const seq = ++this.#lastSeq;
      const envelope: Envelope = buildEnvelope(d.type, d.body, {
        id: this.#o.ids.next("msg"),
        home: this.#o.home,
        seq,
        laneSeq: takeLaneSeq(this.#laneSeq, LANE_OF[d.type]),
        ts: isoWithOffset(d.wallMs, this.#o.timeZone),
        synced: d.synced,
      });
      const bytes = Buffer.byteLength(JSON.stringify(envelope)) + OVERHEAD;
      const msg: StoredMessage = {
        seq,
        id: envelope.id,
        lane: LANE_OF[d.type],
        type: d.type,
        envelope,
        delivered: false,
      };
      this.#rows.set(seq, { msg, resend: false, wallMs: d.wallMs, synced: d.synced, bytes });
      this.#size += bytes;
      if (d.type === "alert") {
        const a = d.body as AlertBody;
        const prev = this.#alerts.get(a.alert);
        const info: AlertStateInfo & { latestSeq: number } = {
          kind: a.kind,
          state: a.state,
          raisedSeq: prev?.raisedSeq ?? seq,
          latestSeq: seq,
        };
        const device = a.device ?? prev?.device;
        if (device !== undefined) info.device = device;
        this.#alerts.set(a.alert, info);
      }
      out.push(structuredClone(envelope));
    }
    if (this.#size > this.#o.maxSizeBytes) this.#shrink(this.#size - this.#o.maxSizeBytes * 0.9);
    this.#notify();
    return out;
  }

  #protected(): Set<number> {
    return new Set([...this.#alerts.values()].filter((a) => isOpen(a.state)).map((a) => a.latestSeq));
  }

  #shrink(need: number): void {
    const keep = this.#protected();
    let freed = 0;
    const passes: ((r: Row) => boolean)[] = [
      (r) => r.msg.delivered && !keep.has(r.msg.seq),
      (r) => !r.msg.delivered && r.msg.lane === "telemetry",
    ];
    for (const pass of passes)
      for (const r of [...this.#rows.values()].sort((a, b) => a.msg.seq - b.msg.seq)) {
        if (freed >= need) return;
        if (!pass(r)) continue;
        this.#rows.delete(r.msg.seq);
        this.#size -= r.bytes;
        freed += r.bytes;
      }
  }

  #prune(): void {
    const cutoff = this.#o.clock.wallMs() - this.#o.retentionMs;
    const keep = this.#protected();
    for (const r of [...this.#rows.values()])
      if (r.msg.delivered && r.wallMs < cutoff && !keep.has(r.msg.seq)) {
        this.#rows.delete(r.msg.seq);
        this.#size -= r.bytes;
      }
  }

  #sorted(filter: (r: Row) => boolean, byLane: boolean): StoredMessage[] {
    const rank = (r: Row) => (byLane ? (r.resend ? LANES.length : 0) + LANES.indexOf(r.msg.lane) : 0);
    return [...this.#rows.values()]
      .filter(filter)
      .sort((a, b) => rank(a) - rank(b) || a.msg.seq - b.msg.seq)
      .map((r) => structuredClone(r.msg));
  }

  #notify(): void {
    for (const l of this.#listeners) {
      try {
        l();
      } catch {
        // A listener's bug is not the outbox's: the write stands.
      }
    }
  }

  #need(): void {
    if (!this.#open) throw new HearthError("The outbox is not open", ErrorCode.OutboxClosed);
  }
}
