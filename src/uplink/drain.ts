import type { MessageType } from "../contract/messages.js";
import type { StoredMessage } from "../contract/stored.js";
import { topicFor } from "../contract/topics.js";
import type { Clock, Timer } from "../core/clock.js";
import { isHearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { DrainLink } from "./drain-link.js";
import { RateLimiter } from "./rate.js";
import type { UplinkSource } from "./types.js";
import { UnroutedSeqs } from "./unrouted.js";

export type { DrainLink } from "./drain-link.js";

/** Most outbox messages awaiting PUBACK at once (lowered to the broker's receive maximum, MQTT 5). */
export const MAX_IN_FLIGHT = 32;

/**
 * Most pending rows read from the outbox at once. The page is kept between passes and read again only
 * when it runs out or the outbox committed something since (a new alert must go before the rest).
 */
export const PAGE = 256;

/**
 * Most acknowledged telemetry rows kept unmarked before one transaction marks them. Alerts, events and
 * summaries are marked on the next pass; a crash before a mark costs a duplicate (same id), never a loss.
 */
export const MARK_BATCH = 256;

/**
 * Longest that what follows an alert waits for the alert's PUBACK (`#alone`): on a link that answers
 * slowly, or not at all before it drops, the rest goes out after this.
 */
export const ALONE_MS = 250;

export { MAX_UNROUTED } from "./unrouted.js";

/** The part of the outbox port the drain reads and marks. */
export type DrainSource = Pick<
  UplinkSource,
  "pending" | "markDelivered" | "markDeliveredLater" | "settle" | "openAlerts" | "onWrite" | "lastSeq"
>;

/** What the drain keeps per connection; it dies with the connection. */
interface LinkWindow {
  /** seqs awaiting PUBACK on this connection. */
  inFlight: Set<number>;
  /** Among them, the alerts': what follows waits for them (`#alone`). */
  alertsInFlight: Set<number>;
  /** seqs published on this connection and not yet marked delivered (in flight, acked, or refused). */
  sent: Set<number>;
  /** Delivered open alerts to publish again before the pending drain. */
  priority: StoredMessage[];
  /** The outbox's last seq at connect: the replay is drained once nothing up to it is pending. */
  replayUpTo: number;
  /** Set once, when everything pending at connect was acknowledged (the heartbeat says so). */
  replayDrained: boolean;
  /** Pending rows read and not yet published, in replay order, from `at` on. */
  page: StoredMessage[];
  at: number;
  /** The drain's write count when `page` was read: a commit since then makes it stale. */
  pageWrites: number;
  /** The pass that read `page`. */
  pagePass: number;
}

export interface DrainOptions {
  home: string;
  source: DrainSource;
  /** For the replay rate. */
  clock: Clock;
  /** Messages per second; Infinity = unbounded. */
  replayRate: number;
  log: Logger;
  /** The connection to publish on now, if any (it may be one still connecting). */
  link: () => DrainLink | undefined;
  /** Called after acknowledged rows were marked delivered. */
  delivered: (count: number) => void;
  /** Called as a row's PUBACK is handled, before it is marked delivered. */
  acked?: (seq: number, type: MessageType) => void;
}

/**
 * The drain part of the uplink: publishes the outbox on the live connection, open alerts first, then
 * pending rows in lane order (alerts, events, telemetry), at most a window of them awaiting PUBACK and
 * at most `replayRate` a second. A row is marked delivered only after its PUBACK, in one outbox
 * transaction per batch; a refused or unanswered one stays undelivered and goes out again on the next
 * connection (same envelope, same id), never twice on the same one.
 *
 * A pass runs in a microtask after whatever the outbox committed or the broker acknowledged: after the
 * writer's synchronous call (a durable group ends with its fsync inside it), so an alert goes out as
 * soon as it is durable, without waiting for a turn of the event loop. Rows are published as stored
 * (the outbox's JSON text), read a page at a time.
 */
export class Drain {
  readonly #o: DrainOptions;
  readonly #windows = new WeakMap<DrainLink, LinkWindow>();
  #rate: RateLimiter | undefined;
  #rateTimer: Timer | undefined;
  #scheduled = false;
  /** What follows an alert waits for its PUBACK; this is the pass that sends it if none comes in time. */
  #later: NodeJS.Timeout | undefined;
  /** Filling a window: a publish answered at once (refused) must not start another fill inside it. */
  #filling = false;
  /** Outbox commits heard of (onWrite): a page read before the latest one is stale. */
  #writes = 0;
  /** Passes begun (pump). */
  #passes = 0;
  /** Among `#acked`, one that is not telemetry: marked on the next pass, not in a later batch. */
  #urgent = false;
  #offWrite: (() => void) | undefined;
  #stopped = false;
  #acked: number[] = [];
  #published = 0;
  readonly #unrouted = new UnroutedSeqs();
  readonly #topics = new Map<MessageType, string>();

  constructor(o: DrainOptions) {
    this.#o = o;
  }

  /** Outbox messages acknowledged by a broker since this drain was made. */
  get published(): number {
    return this.#published;
  }

  /**
   * The topic when the last PUBACK for `seq` said no subscription matches it (the broker dropped the
   * message), else undefined. Only the latest MAX_UNROUTED such seqs are remembered.
   */
  noSubscribers(seq: number): string | undefined {
    return this.#unrouted.get(seq);
  }

  /** Starts the replay rate afresh and drains whenever the outbox commits something. */
  start(): void {
    this.#stopped = false;
    this.#rate = new RateLimiter(this.#o.clock, this.#o.replayRate);
    this.#offWrite = this.#o.source.onWrite(() => {
      this.#writes++;
      this.schedule();
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#offWrite?.();
    this.#offWrite = undefined;
    this.#rateTimer?.cancel();
    this.#rateTimer = undefined;
    if (this.#later) clearTimeout(this.#later);
    this.#later = undefined;
  }

  /** Whether everything pending when `link` connected has been acknowledged (and marked delivered). */
  replayDrained(link: DrainLink): boolean {
    return this.#windows.get(link)?.replayDrained ?? false;
  }

  /** Publishes on `link` still awaiting their PUBACK. */
  inFlight(link: DrainLink): number {
    return this.#windows.get(link)?.inFlight.size ?? 0;
  }

  /**
   * On connect: open alerts the cloud already has are published again (same id) until closed;
   * undelivered ones come first in the pending drain anyway, in seq order.
   */
  begin(link: DrainLink): void {
    const w = this.#window(link);
    try {
      w.replayUpTo = this.#o.source.lastSeq();
      w.priority = this.#o.source.openAlerts().filter((m) => m.delivered);
    } catch (e) {
      this.#o.log.error({ err: e }, "Failed to read open alerts from the outbox");
    }
  }

  /**
   * The pass now, when one is due (something was committed or acknowledged since the last), and what it
   * published written to the socket at once: for a writer whose durable group has just ended, so that
   * what it made durable leaves before the rest of its call.
   */
  passNow(): void {
    if (!this.#scheduled || this.#stopped) return;
    this.pump();
    this.#o.link()?.flush?.();
  }

  /** Drains once the current synchronous call returns (many writes and acks of one call, one pass). */
  schedule(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (!this.#stopped) this.pump();
    });
  }

  /** One pass now: marks what must be marked, then fills the window of the live connection. */
  pump(): void {
    this.#passes++;
    const link = this.#o.link();
    if (link && (this.#urgent || this.#acked.length >= MARK_BATCH || !link.connected || this.#stopped))
      this.flushAcks(link);
    if (link) this.#fill(link, true);
  }

  /**
   * Publishes on `link` until its window is full. `read`: a new page may be read from the outbox (a
   * pass); without it (a PUBACK being handled) only the page in hand is used, and a pass follows.
   */
  #fill(link: DrainLink, read: boolean): void {
    if (!link.connected || this.#stopped || this.#rateTimer || this.#filling) return;
    const rate = this.#rate as RateLimiter;
    const w = this.#window(link);
    const max = maxInFlight(link);
    this.#filling = true;
    try {
      while (Math.max(w.inFlight.size, link.unacknowledged ?? 0) < max) {
        const first = w.priority[0];
        if (first && w.sent.has(first.seq)) {
          w.priority.shift();
          continue;
        }
        const msg = first ?? this.#next(link, w, read);
        // Behind an alert that just left, the rest waits for its PUBACK (#alone).
        if (!msg || (this.#later && msg.lane !== "alert")) return;
        if (!rate.tryTake()) {
          this.#rateTimer = this.#o.clock.setTimeout(() => {
            this.#rateTimer = undefined;
            this.pump();
          }, rate.waitMs());
          return;
        }
        if (first) w.priority.shift();
        else w.at++;
        this.#publish(link, w, msg);
        if (msg.lane === "alert" && this.#alone(w)) return;
      }
    } catch (e) {
      // The outbox failed under us (closed during shutdown, I/O error): try again on the next write.
      this.#o.log.error({ err: e, closed: isHearthError(e) }, "Outbox read failed during drain");
    } finally {
      this.#filling = false;
    }
  }

  /**
   * The next pending row not yet sent on this connection: from the page, or (`read`) from a new page
   * when it ran out or the outbox committed since it was read. What was acknowledged is marked first,
   * so that it does not come back.
   */
  #next(link: DrainLink, w: LinkWindow, read: boolean): StoredMessage | undefined {
    const cached = w.pageWrites === this.#writes ? w.page[w.at] : undefined;
    // An alert is published only as read in this very pass: a queued one may have gained evidence since
    // (the SMS sent for it, annotate.ts), which changes its row without a commit of a new message.
    if (cached && (cached.lane !== "alert" || (read && w.pagePass === this.#passes))) return cached;
    if (!read) return undefined;
    this.flushAcks(link);
    const limit = w.sent.size + PAGE;
    w.pageWrites = this.#writes;
    w.pagePass = this.#passes;
    const all = this.#o.source.pending(limit);
    this.#checkDrained(w, all, limit);
    w.page = w.sent.size === 0 ? all : all.filter((m) => !w.sent.has(m.seq));
    w.at = 0;
    return w.page[0];
  }

  /**
   * After an alert, when what comes next is not one: the rest waits for the alerts' PUBACKs (or
   * ALONE_MS), so that they leave in a packet of their own and no publish of ours comes between a
   * PUBACK and its handling (docs/decisions/uplink-drain.md). True when it waits.
   */
  #alone(w: LinkWindow): boolean {
    const next = w.priority.find((m) => !w.sent.has(m.seq)) ?? w.page[w.at];
    if (next?.lane === "alert") return false;
    this.#later ??= setTimeout(() => {
      this.#later = undefined;
      if (!this.#stopped) this.pump();
    }, ALONE_MS);
    return true;
  }

  /** An alert's PUBACK (or refusal) came: with none left in flight, what waited behind them may go. */
  #alertAnswered(w: LinkWindow, seq: number): void {
    if (!w.alertsInFlight.delete(seq) || w.alertsInFlight.size > 0 || !this.#later) return;
    clearTimeout(this.#later);
    this.#later = undefined;
  }

  /** Marks acknowledged rows delivered, one outbox transaction per batch; telemetry alone `later`. */
  flushAcks(link: DrainLink | undefined): void {
    if (this.#acked.length === 0) return;
    const source = this.#o.source;
    const seqs = this.#acked;
    // Telemetry's marks, while connected, with a commit the outbox makes anyway (outbox-disk-writes.md).
    const later = !this.#urgent && link?.connected === true && !this.#stopped;
    this.#acked = [];
    this.#urgent = false;
    try {
      if (later && source.markDeliveredLater) source.markDeliveredLater(seqs);
      else source.markDelivered(seqs);
    } catch (e) {
      // They will be published again: a duplicate with the same id, never a loss.
      this.#o.log.error({ err: e, count: seqs.length }, "Failed to mark messages delivered");
      return;
    }
    const w = link && this.#windows.get(link);
    if (w) for (const s of seqs) w.sent.delete(s);
    this.#o.delivered(seqs.length);
  }

  /**
   * `pending` is the outbox's undelivered rows, at most `limit`: when it came back short it is all of
   * them, and when none is at or below the seq of connect time, the replay has drained. The source then
   * settles (the checkpoint its replay's marks put off) on the next turn, not inside this pass.
   */
  #checkDrained(w: LinkWindow, pending: readonly StoredMessage[], limit: number): void {
    if (w.replayDrained || w.priority.length > 0 || pending.length >= limit) return;
    if (!pending.every((m) => m.seq > w.replayUpTo)) return;
    w.replayDrained = true;
    const source = this.#o.source;
    if (source.settle)
      setImmediate(() => {
        if (this.#stopped) return;
        try {
          source.settle?.();
        } catch (e) {
          this.#o.log.error({ err: e }, "Outbox housekeeping after the replay failed");
        }
      });
  }

  #publish(link: DrainLink, w: LinkWindow, m: StoredMessage): void {
    w.inFlight.add(m.seq);
    if (m.lane === "alert") w.alertsInFlight.add(m.seq);
    w.sent.add(m.seq);
    const topic = this.#topic(m.type);
    link.publish(topic, m.json ?? JSON.stringify(m.envelope), false, (err, noSubscribers) => {
      w.inFlight.delete(m.seq);
      this.#alertAnswered(w, m.seq);
      if (err) {
        // Not acknowledged (connection closing, or an MQTT 5 refusal): it stays undelivered and goes out
        // again after the next connect; `sent` keeps it from looping on this one.
        if (!link.down)
          this.#o.log.warn(
            { broker: link.url, seq: m.seq, err },
            `Broker '${link.url}' did not accept seq ${m.seq}`,
          );
        this.schedule();
        return;
      }
      this.#published++;
      this.#unrouted.note(m.seq, topic, noSubscribers === true);
      this.#acked.push(m.seq);
      if (m.lane !== "telemetry") this.#urgent = true;
      this.#o.acked?.(m.seq, m.type);
      // The freed slot is refilled from the page at once, as the PUBACK is handled (the window stays
      // full instead of waiting for every PUBACK of a read); marks and page reads wait for the pass.
      this.#fill(link, false);
      this.schedule();
    });
  }

  /** The topic of a type, made once per type: the same string for every publish of a replay. */
  #topic(type: MessageType): string {
    let t = this.#topics.get(type);
    if (t === undefined) {
      t = topicFor(this.#o.home, type);
      this.#topics.set(type, t);
    }
    return t;
  }

  #window(link: DrainLink): LinkWindow {
    let w = this.#windows.get(link);
    if (!w) {
      w = {
        inFlight: new Set(),
        alertsInFlight: new Set(),
        sent: new Set(),
        priority: [],
        replayUpTo: 0,
        replayDrained: false,
        page: [],
        at: 0,
        pageWrites: -1,
        pagePass: -1,
      };
      this.#windows.set(link, w);
    }
    return w;
  }
}

function maxInFlight(link: DrainLink): number {
  const r = link.receiveMaximum;
  return r !== undefined && r > 0 ? Math.min(MAX_IN_FLIGHT, r) : MAX_IN_FLIGHT;
}
