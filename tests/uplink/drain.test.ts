import { afterEach, describe, expect, it } from "vitest";
import type { Envelope } from "../../src/contract/messages.js";
import type { StoredMessage } from "../../src/contract/stored.js";
import { topicFor } from "../../src/contract/topics.js";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { WEEK_MS } from "../../src/core/time.js";
import {
  ALONE_MS,
  Drain,
  type DrainLink,
  type DrainSource,
  MAX_IN_FLIGHT,
  MAX_UNROUTED,
  PAGE,
} from "../../src/uplink/drain.js";
import { captureLog } from "../helpers/log-capture.js";
import { waitFor } from "../helpers/wait.js";
import { alertBody, alertId, eventBody, summaryBody, telemetryBody } from "../outbox/fixtures.js";
import { MemoryOutbox } from "../outbox/memory-outbox.js";

const HOME = "home-1";

interface Sent {
  topic: string;
  payload: string;
  envelope: Envelope;
  retain: boolean;
  done: (err?: Error, noSubscribers?: boolean) => void;
}

/** A connection that records what it is asked to publish; the test answers each publish itself. */
class FakeLink implements DrainLink {
  readonly url = "mqtt://fake:1883";
  connected = true;
  down = false;
  receiveMaximum: number | undefined;
  readonly sent: Sent[] = [];
  /** How many publishes had been made at each flush. */
  readonly flushes: number[] = [];

  constructor(receiveMaximum?: number) {
    this.receiveMaximum = receiveMaximum;
  }

  publish(
    topic: string,
    payload: string,
    retain: boolean,
    done: (err?: Error, noSubscribers?: boolean) => void,
  ): void {
    this.sent.push({ topic, payload, envelope: JSON.parse(payload) as Envelope, retain, done });
  }

  flush(): void {
    this.flushes.push(this.sent.length);
  }

  seqs(): number[] {
    return this.sent.map((s) => s.envelope.seq);
  }
}

/** One turn of the event loop: what follows an alert is published then. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** The drain with no broker and no socket: the in-memory outbox, a fake link, a virtual clock. */
function rig(
  o: {
    replayRate?: number;
    source?: (outbox: MemoryOutbox) => DrainSource;
    acked?: (seq: number, type: string) => void;
  } = {},
) {
  const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) });
  const outbox = new MemoryOutbox({
    home: HOME,
    timeZone: "Asia/Shanghai",
    clock,
    ids: new SeededIds("drain"),
    maxSizeBytes: 64 * 1024 * 1024,
    retentionMs: WEEK_MS,
    telemetryBatch: 1,
    telemetryFlushMs: 2000,
  });
  outbox.open();
  const r = {
    clock,
    outbox,
    link: new FakeLink() as FakeLink | undefined,
    delivered: [] as number[],
    capture: captureLog(),
    drain: undefined as unknown as Drain,
  };
  r.drain = new Drain({
    home: HOME,
    source: o.source?.(outbox) ?? outbox,
    clock,
    replayRate: o.replayRate ?? Number.POSITIVE_INFINITY,
    log: r.capture.log,
    link: () => r.link,
    delivered: (n) => r.delivered.push(n),
    ...(o.acked ? { acked: o.acked } : {}),
  });
  r.drain.start();
  return r;
}

describe("Drain (fake publish, no broker)", () => {
  const stops: (() => void)[] = [];
  const make = (o?: Parameters<typeof rig>[0]) => {
    const r = rig(o);
    stops.push(() => {
      r.drain.stop();
      r.outbox.close();
    });
    return r;
  };
  afterEach(() => {
    for (const s of stops.splice(0)) s();
  });

  it("keeps at most its window in flight and refills it as PUBACKs arrive", () => {
    const r = make();
    const link = new FakeLink(3);
    r.link = link;
    for (let i = 0; i < 10; i++) r.outbox.putEvent(eventBody(i));
    r.drain.pump();
    expect(link.seqs()).toEqual([1, 2, 3]);
    expect(r.drain.inFlight(link)).toBe(3);
    r.drain.pump();
    expect(link.seqs()).toEqual([1, 2, 3]);
    link.sent[1]?.done();
    r.drain.pump();
    expect(link.seqs()).toEqual([1, 2, 3, 4]);
    expect(r.drain.inFlight(link)).toBe(3);
  });

  it("counts the connection's other unacknowledged publishes (status, replies) in the receive maximum", () => {
    const r = make();
    // A status and a reply in flight on a connection whose broker takes 4: two slots are left.
    const link = Object.assign(new FakeLink(4), { others: 2 });
    Object.defineProperty(link, "unacknowledged", {
      get: () => link.others + link.sent.filter((s) => !acked.has(s)).length,
    });
    const acked = new Set<Sent>();
    r.link = link;
    for (let i = 0; i < 10; i++) r.outbox.putEvent(eventBody(i));
    r.drain.pump();
    expect(link.seqs()).toEqual([1, 2]);
    // The status's PUBACK frees a slot for the drain.
    link.others = 1;
    r.drain.pump();
    expect(link.seqs()).toEqual([1, 2, 3]);
    const first = link.sent[0] as Sent;
    acked.add(first);
    first.done();
    expect(link.seqs()).toEqual([1, 2, 3, 4]);
  });

  it("remembers the seqs whose PUBACK said nobody subscribed, until a later PUBACK says otherwise", async () => {
    const r = make();
    const link = r.link as FakeLink;
    const a = r.outbox.putAlert(alertBody(alertId(1)));
    const e = r.outbox.putEvent(eventBody(1));
    r.drain.pump();
    await nextTurn();
    link.sent[0]?.done(undefined, true);
    link.sent[1]?.done();
    r.drain.flushAcks(link);
    expect(r.drain.noSubscribers(a.seq)).toBe(topicFor(HOME, "alert"));
    expect(r.drain.noSubscribers(e.seq)).toBeUndefined();
    expect(r.outbox.pending(10)).toEqual([]); // taken by the broker all the same: marked delivered
    // The open alert goes out again on the next connection, and this time someone subscribed.
    const next = new FakeLink();
    r.link = next;
    r.drain.begin(next);
    r.drain.pump();
    expect(next.seqs()).toEqual([a.seq]);
    next.sent[0]?.done();
    expect(r.drain.noSubscribers(a.seq)).toBeUndefined();
  });

  it("remembers at most MAX_UNROUTED such seqs, dropping the oldest", () => {
    const r = make();
    const link = r.link as FakeLink;
    const n = MAX_UNROUTED + 2;
    for (let i = 0; i < n; i++) r.outbox.putEvent(eventBody(i));
    let answered = 0;
    for (let round = 0; answered < n && round < n; round++) {
      r.drain.pump();
      // A PUBACK refills the window from the page at once: what that publishes is answered in turn.
      while (answered < link.sent.length) link.sent[answered++]?.done(undefined, true);
    }
    expect(link.seqs()).toHaveLength(n);
    expect(r.drain.noSubscribers(1)).toBeUndefined();
    expect(r.drain.noSubscribers(2)).toBeUndefined();
    expect(r.drain.noSubscribers(3)).toBe(topicFor(HOME, "event"));
    expect(r.drain.noSubscribers(n)).toBe(topicFor(HOME, "event"));
  });

  it("without a receive maximum, keeps MAX_IN_FLIGHT in flight", () => {
    const r = make();
    const link = r.link as FakeLink;
    for (let i = 0; i < MAX_IN_FLIGHT + 8; i++) r.outbox.putEvent(eventBody(i));
    r.drain.pump();
    expect(link.sent).toHaveLength(MAX_IN_FLIGHT);
    expect(r.drain.inFlight(link)).toBe(MAX_IN_FLIGHT);
  });

  it("publishes alerts first, then events and summaries, then telemetry, each oldest first", async () => {
    const r = make();
    const link = r.link as FakeLink;
    r.outbox.putTelemetry(telemetryBody(1)); // seq 1
    const e1 = r.outbox.putEvent(eventBody(1));
    const a1 = r.outbox.putAlert(alertBody(alertId(1)));
    const s1 = r.outbox.putSummary(summaryBody());
    r.outbox.putTelemetry(telemetryBody(2)); // seq 5
    const a2 = r.outbox.putAlert(alertBody(alertId(2)));
    r.drain.pump();
    // The alerts leave on their own; the rest once the broker has acknowledged both.
    expect(link.seqs()).toEqual([a1.seq, a2.seq]);
    await nextTurn();
    link.sent[0]?.done();
    expect(link.seqs()).toEqual([a1.seq, a2.seq]);
    link.sent[1]?.done();
    expect(link.seqs()).toEqual([a1.seq, a2.seq, e1.seq, s1.seq, 1, 5]);
    expect(link.sent.map((s) => s.topic)).toEqual([
      topicFor(HOME, "alert"),
      topicFor(HOME, "alert"),
      topicFor(HOME, "event"),
      topicFor(HOME, "summary"),
      topicFor(HOME, "telemetry"),
      topicFor(HOME, "telemetry"),
    ]);
    expect(link.sent[0]?.envelope).toEqual(a1);
    expect(link.sent.every((s) => !s.retain)).toBe(true);
  });

  it("on a new connection publishes delivered open alerts again before anything pending", async () => {
    const r = make();
    const open = r.outbox.putAlert(alertBody(alertId(1)));
    const closedRaise = r.outbox.putAlert(alertBody(alertId(2)));
    const closed = r.outbox.putAlert({ ...alertBody(alertId(2), "acknowledged"), cause: "cloud" });
    r.outbox.markDelivered([open.seq, closedRaise.seq, closed.seq]);
    const later = r.outbox.putEvent(eventBody(1));
    const link = new FakeLink();
    r.link = link;
    r.drain.begin(link);
    r.drain.pump();
    expect(link.seqs()).toEqual([open.seq]);
    link.sent[0]?.done();
    await nextTurn();
    expect(link.seqs()).toEqual([open.seq, later.seq]);
    expect(link.sent[0]?.envelope).toEqual(open);
  });

  it("marks acknowledged rows delivered in one batch, and only those", () => {
    const r = make();
    const link = r.link as FakeLink;
    const events = [0, 1, 2].map((i) => r.outbox.putEvent(eventBody(i)));
    r.drain.pump();
    link.sent[0]?.done();
    link.sent[2]?.done();
    expect(r.outbox.pending(10)).toHaveLength(3);
    r.drain.pump();
    expect(r.outbox.pending(10).map((m) => m.id)).toEqual([events[1]?.id]);
    expect(r.delivered).toEqual([2]);
    expect(r.drain.published).toBe(2);
    expect(r.drain.inFlight(link)).toBe(1);
  });

  it("keeps a refused row undelivered, not again on that connection, again (same envelope) on the next", () => {
    const r = make();
    const first = r.link as FakeLink;
    const e = r.outbox.putEvent(eventBody(1));
    r.drain.pump();
    first.sent[0]?.done(new Error("refused: quota exceeded"));
    r.drain.pump();
    expect(first.sent).toHaveLength(1);
    expect(r.outbox.pending(10).map((m) => m.id)).toEqual([e.id]);
    expect(r.delivered).toEqual([]);
    const warned = r.capture.lines.find((l) => l.level === 40 && l.seq === e.seq);
    expect(warned?.broker).toBe(first.url);

    const second = new FakeLink();
    r.link = second;
    r.drain.pump();
    expect(second.sent.map((s) => s.envelope)).toEqual([e]);
    second.sent[0]?.done();
    r.drain.pump();
    expect(r.outbox.pending(10)).toEqual([]);
  });

  it("publishes nothing while the link is not connected, and drains on the outbox's writes", async () => {
    const r = make();
    const link = r.link as FakeLink;
    link.connected = false;
    r.outbox.putEvent(eventBody(1));
    r.drain.pump();
    expect(link.sent).toEqual([]);
    link.connected = true;
    r.outbox.putEvent(eventBody(2));
    await waitFor("the drain after a write", () => link.sent.length === 2);
    expect(link.seqs()).toEqual([1, 2]);
  });

  it("publishes at most replay_rate messages per second of clock time", () => {
    const r = make({ replayRate: 10 });
    const link = r.link as FakeLink;
    for (let i = 0; i < 5; i++) r.outbox.putEvent(eventBody(i));
    r.drain.pump();
    expect(link.sent).toHaveLength(1);
    r.clock.advanceBy(99);
    expect(link.sent).toHaveLength(1);
    r.clock.advanceBy(1);
    expect(link.sent).toHaveLength(2);
    r.clock.advanceBy(300);
    expect(link.sent).toHaveLength(5);
  });

  it("publishes a row's stored text as it is, not a new serialisation of its envelope", () => {
    // A store whose text differs from JSON.stringify(envelope) in its spacing: only the text can be sent.
    const spaced = (outbox: MemoryOutbox): DrainSource => ({
      pending: (limit) =>
        outbox
          .pending(limit)
          .map((m): StoredMessage => ({ ...m, json: JSON.stringify(m.envelope, null, 1) })),
      markDelivered: (seqs) => outbox.markDelivered(seqs),
      openAlerts: () => outbox.openAlerts(),
      onWrite: (l) => outbox.onWrite(l),
      lastSeq: () => outbox.lastSeq(),
    });
    const r = make({ source: spaced });
    const link = r.link as FakeLink;
    const e = r.outbox.putEvent(eventBody(1));
    r.drain.pump();
    expect(link.sent[0]?.payload).toBe(JSON.stringify(e, null, 1));
    expect(link.sent[0]?.envelope).toEqual(e);
  });

  it("publishes a queued alert as it reads now, not as the page had it: evidence added meanwhile goes out", () => {
    // What annotate.ts does to a queued alert's row (the SMS sent for it), without a commit of a new message.
    const notes = new Map<number, string>();
    const annotated = (outbox: MemoryOutbox): DrainSource => ({
      pending: (limit) =>
        outbox.pending(limit).map((m): StoredMessage => {
          const note = notes.get(m.seq);
          if (note === undefined) return m;
          const env = { ...m.envelope, body: { ...m.envelope.body, evidence: { sms: note } } } as Envelope;
          return { ...m, envelope: env, json: JSON.stringify(env) };
        }),
      markDelivered: (seqs) => outbox.markDelivered(seqs),
      openAlerts: () => outbox.openAlerts(),
      onWrite: (l) => outbox.onWrite(l),
      lastSeq: () => outbox.lastSeq(),
    });
    const r = make({ source: annotated });
    const link = new FakeLink(1);
    r.link = link;
    const a1 = r.outbox.putAlert(alertBody(alertId(1)));
    const a2 = r.outbox.putAlert(alertBody(alertId(2)));
    r.drain.pump();
    expect(link.seqs()).toEqual([a1.seq]);
    notes.set(a2.seq, "sent");
    link.sent[0]?.done();
    r.drain.pump();
    expect(link.seqs()).toEqual([a1.seq, a2.seq]);
    expect(link.sent[1]?.envelope.body).toMatchObject({ evidence: { sms: "sent" } });
  });

  it("publishes an alert committed while a page of telemetry is in hand before the rest of that page", async () => {
    const r = make();
    const link = new FakeLink(3);
    r.link = link;
    for (let i = 0; i < 10; i++) r.outbox.putTelemetry(telemetryBody(i));
    r.drain.pump();
    expect(link.seqs()).toEqual([1, 2, 3]);
    const a = r.outbox.putAlert(alertBody(alertId(1)));
    // The PUBACK refills from the page only while nothing was committed since it was read.
    link.sent[0]?.done();
    expect(link.seqs()).toEqual([1, 2, 3]);
    r.drain.pump();
    expect(link.seqs()).toEqual([1, 2, 3, a.seq]);
    // Behind the alert, the rest of the page once the alert's PUBACK came, as PUBACKs free the window.
    link.sent[1]?.done();
    await nextTurn();
    expect(link.seqs()).toEqual([1, 2, 3, a.seq]);
    link.sent[3]?.done();
    expect(link.seqs()).toEqual([1, 2, 3, a.seq, 4, 5]);
    link.sent[2]?.done();
    expect(link.seqs()).toEqual([1, 2, 3, a.seq, 4, 5, 6]);
  });

  it("refills the window from the page as each PUBACK is handled, and marks telemetry in batches", () => {
    const r = make();
    const link = r.link as FakeLink;
    const n = 2 * PAGE;
    for (let i = 0; i < n; i++) r.outbox.putTelemetry(telemetryBody(i));
    r.drain.pump();
    expect(link.sent).toHaveLength(MAX_IN_FLIGHT);
    let answered = 0;
    while (answered < 100) link.sent[answered++]?.done();
    expect(link.sent).toHaveLength(100 + MAX_IN_FLIGHT);
    r.drain.pump();
    // Not yet marked: fewer than a batch, and the page still in hand.
    expect(r.delivered).toEqual([]);
    expect(r.outbox.pending(n)).toHaveLength(n);
    // The page runs out after PAGE publishes: the next one waits for a pass, which marks first.
    while (answered < link.sent.length) link.sent[answered++]?.done();
    expect(link.sent).toHaveLength(PAGE);
    r.drain.pump();
    expect(r.delivered).toEqual([PAGE]);
    expect(r.outbox.pending(n)).toHaveLength(n - PAGE);
    expect(link.seqs().slice(PAGE)).toEqual(Array.from({ length: MAX_IN_FLIGHT }, (_, i) => PAGE + 1 + i));
  });

  it("marks an acknowledged alert or event on the next pass, without waiting for a batch", () => {
    const r = make();
    const link = new FakeLink(3);
    r.link = link;
    for (let i = 0; i < 40; i++) r.outbox.putTelemetry(telemetryBody(i));
    const e = r.outbox.putEvent(eventBody(1));
    r.drain.pump();
    expect(link.seqs()).toEqual([e.seq, 1, 2]);
    link.sent[1]?.done();
    r.drain.pump();
    expect(r.delivered).toEqual([]);
    link.sent[0]?.done();
    r.drain.pump();
    expect(r.delivered).toEqual([2]);
    expect(r.outbox.pending(50).map((m) => m.seq)).not.toContain(e.seq);
  });

  it("hands telemetry's marks over as deferred while connected; an event's, or any after a disconnect, at once", () => {
    const calls: string[] = [];
    const r = make({
      source: (outbox) => ({
        pending: (limit) => outbox.pending(limit),
        markDelivered: (seqs) => {
          calls.push(`now ${seqs.join(",")}`);
          outbox.markDelivered(seqs);
        },
        markDeliveredLater: (seqs) => {
          calls.push(`later ${seqs.join(",")}`);
          outbox.markDeliveredLater(seqs);
        },
        openAlerts: () => outbox.openAlerts(),
        onWrite: (l) => outbox.onWrite(l),
        lastSeq: () => outbox.lastSeq(),
      }),
    });
    const link = r.link as FakeLink;
    r.outbox.putTelemetry(telemetryBody(1));
    r.outbox.putTelemetry(telemetryBody(2));
    r.drain.pump();
    for (const s of link.sent) s.done();
    r.drain.pump();
    expect(calls).toEqual(["later 1,2"]);
    // Not published again: the outbox counts them delivered.
    expect(link.seqs()).toEqual([1, 2]);
    const e = r.outbox.putEvent(eventBody(1));
    r.outbox.putTelemetry(telemetryBody(3));
    r.drain.pump();
    for (const s of link.sent.slice(2)) s.done();
    r.drain.pump();
    expect(calls).toEqual(["later 1,2", `now ${e.seq},4`]);
    r.outbox.putTelemetry(telemetryBody(5));
    r.drain.pump();
    link.sent.at(-1)?.done();
    link.connected = false;
    r.drain.pump();
    expect(calls.at(-1)).toBe("now 5");
  });

  it("publishes a commit once the writer's synchronous call returns: never inside it, no event-loop turn", async () => {
    const r = make();
    const link = r.link as FakeLink;
    let inside = -1;
    r.outbox.durably(() => {
      r.outbox.putAlert(alertBody(alertId(1)));
      r.outbox.putEvent(eventBody(1));
      inside = link.sent.length;
    });
    expect(inside).toBe(0);
    expect(link.sent).toEqual([]);
    await Promise.resolve();
    expect(link.sent.map((x) => x.envelope.type)).toEqual(["alert"]);
  });

  it("passNow runs the pass at once when something was committed since the last, and else does nothing", () => {
    const r = make();
    const link = r.link as FakeLink;
    r.drain.passNow();
    expect(link.sent).toEqual([]);
    const a = r.outbox.putAlert(alertBody(alertId(1)));
    r.drain.passNow();
    expect(link.seqs()).toEqual([a.seq]);
    // Written to the socket at once, after the publish.
    expect(link.flushes).toEqual([1]);
    r.drain.pump();
    expect(link.flushes).toEqual([1]);
  });

  it("lets an alert leave in a packet of its own: what follows waits for the alert's PUBACK", async () => {
    const r = make();
    const link = r.link as FakeLink;
    r.outbox.putTelemetry(telemetryBody(1));
    const a = r.outbox.durably(() => {
      const alert = r.outbox.putAlert(alertBody(alertId(1)));
      r.outbox.putEvent(eventBody(1));
      return alert;
    });
    r.drain.pump();
    r.drain.pump();
    await nextTurn();
    expect(link.seqs()).toEqual([a.seq]);
    link.sent[0]?.done();
    expect(link.sent.map((x) => x.envelope.type)).toEqual(["alert", "event", "telemetry"]);
  });

  it("what follows an alert goes out after ALONE_MS when its PUBACK does not come, and after a refusal at once", async () => {
    const r = make();
    const link = r.link as FakeLink;
    r.outbox.putAlert(alertBody(alertId(1)));
    const e = r.outbox.putEvent(eventBody(1));
    r.drain.pump();
    await new Promise((resolve) => setTimeout(resolve, ALONE_MS / 2));
    expect(link.seqs()).toEqual([1]);
    await new Promise((resolve) => setTimeout(resolve, ALONE_MS));
    expect(link.seqs()).toEqual([1, e.seq]);
    link.sent[0]?.done();
    // A refused alert frees what waits behind it as a PUBACK does.
    const a2 = r.outbox.putAlert(alertBody(alertId(2)));
    const e2 = r.outbox.putEvent(eventBody(2));
    r.drain.pump();
    expect(link.seqs()).toEqual([1, e.seq, a2.seq]);
    link.sent[2]?.done(new Error("refused"));
    r.drain.pump();
    expect(link.seqs()).toEqual([1, e.seq, a2.seq, e2.seq]);
  });

  it("tells of each PUBACK as it is handled, before the row is marked delivered", () => {
    const acked: [number, string][] = [];
    const r = make({ acked: (seq, type) => acked.push([seq, type]) });
    const link = r.link as FakeLink;
    const e = r.outbox.putEvent(eventBody(1));
    r.drain.pump();
    link.sent[0]?.done();
    expect(acked).toEqual([[e.seq, "event"]]);
    expect(r.delivered).toEqual([]);
    expect(r.outbox.pending(10).map((m) => m.seq)).toEqual([e.seq]);
    r.drain.pump();
    expect(r.delivered).toEqual([1]);
  });

  it("stops: no drain on later writes", async () => {
    const r = make();
    const link = r.link as FakeLink;
    r.drain.stop();
    r.outbox.putEvent(eventBody(1));
    r.drain.schedule();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(link.sent).toEqual([]);
  });
});

describe("Drain: resend and replay drained (contract v1 revision, issue 9)", () => {
  const stops: (() => void)[] = [];
  afterEach(() => {
    for (const s of stops.splice(0)) s();
  });
  const make = () => {
    const r = rig();
    stops.push(() => {
      r.drain.stop();
      r.outbox.close();
    });
    return r;
  };
  const ackAll = (link: FakeLink) => {
    for (const s of link.sent.splice(0)) s.done();
  };

  it("publishes a fresh call right behind the window in flight, not behind 10,000 resent rows", () => {
    const r = make();
    const link = r.link as FakeLink;
    // Alerts: the lane a fresh call travels in, so only the resend order keeps it from waiting.
    const old = Array.from({ length: 10_000 }, (_, i) =>
      r.outbox.putAlert({ ...alertBody(alertId(100 + i), "cleared", "leak"), cause: "recovered" }),
    );
    r.outbox.markDelivered(old.map((e) => e.seq));
    // What the agent's resend handler does, ten commands' worth of rows.
    let from = 0;
    for (let i = 0; i < 10; i++) {
      const res = r.outbox.resend(from, undefined, 1000);
      expect(res.requeued).toBe(1000);
      from = res.next_from_seq ?? 0;
      r.outbox.markDelivered(r.outbox.pending(2000).map((m) => m.seq));
    }
    expect(r.outbox.resend(0, undefined, 100_000).requeued).toBe(1000);
    const published: Envelope[] = [];
    r.drain.pump();
    published.push(...link.sent.map((s) => s.envelope));
    const call = r.outbox.putAlert(alertBody(alertId(1)));
    for (let i = 0; i < 100 && !published.some((e) => e.id === call.id); i++) {
      ackAll(link);
      r.drain.pump();
      published.push(...link.sent.map((s) => s.envelope));
    }
    const at = published.findIndex((e) => e.id === call.id);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(at).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    // Resent messages are the stored ones, unchanged: same id, seq and lane_seq.
    expect(published[0]).toEqual(old[0]);
  });

  it("says the replay drained once everything pending at connect is acknowledged, not before", () => {
    const r = make();
    const link = r.link as FakeLink;
    for (let i = 0; i < 3; i++) r.outbox.putEvent(eventBody(i));
    r.drain.begin(link);
    expect(r.drain.replayDrained(link)).toBe(false);
    r.drain.pump();
    expect(link.seqs()).toEqual([1, 2, 3]);
    expect(r.drain.replayDrained(link)).toBe(false);
    // Written after connect: not part of the replay, so it does not hold the flag back.
    r.outbox.putEvent(eventBody(9));
    link.sent[0]?.done();
    link.sent[1]?.done();
    r.drain.pump();
    expect(r.drain.replayDrained(link)).toBe(false);
    link.sent[2]?.done();
    r.drain.pump();
    expect(r.drain.replayDrained(link)).toBe(true);
    // A fresh connection starts over.
    const next = new FakeLink();
    r.link = next;
    r.outbox.putEvent(eventBody(10));
    r.drain.begin(next);
    expect(r.drain.replayDrained(next)).toBe(false);
  });
  it("asks the source to settle once the replay has drained: on the next turn, not in the pass, once", async () => {
    let settled = 0;
    const r = rig({
      source: (outbox) => ({
        pending: (limit) => outbox.pending(limit),
        markDelivered: (seqs) => outbox.markDelivered(seqs),
        markDeliveredLater: (seqs) => outbox.markDeliveredLater(seqs),
        settle: () => settled++,
        openAlerts: () => outbox.openAlerts(),
        onWrite: (l) => outbox.onWrite(l),
        lastSeq: () => outbox.lastSeq(),
      }),
    });
    stops.push(() => {
      r.drain.stop();
      r.outbox.close();
    });
    const link = r.link as FakeLink;
    for (let i = 0; i < 3; i++) r.outbox.putTelemetry(telemetryBody(i));
    r.drain.begin(link);
    r.drain.pump();
    link.sent[0]?.done();
    r.drain.pump();
    await nextTurn();
    expect(settled).toBe(0);
    link.sent[1]?.done();
    link.sent[2]?.done();
    r.drain.pump();
    expect(r.drain.replayDrained(link)).toBe(true);
    expect(settled).toBe(0);
    await nextTurn();
    expect(settled).toBe(1);
    r.outbox.putTelemetry(telemetryBody(9));
    r.drain.pump();
    link.sent[3]?.done();
    r.drain.pump();
    await nextTurn();
    expect(settled).toBe(1);
  });
});
