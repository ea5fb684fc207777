import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePublicKey } from "../../src/core/ed25519-keys.js";
import { type GatewayObserver, nowMs, SimGateway } from "../bench/fleet/gateway.js";
import { keptUp, procSample, quantile, slope } from "../bench/fleet/metrics.js";
import {
  mosquittoAvailable,
  startMosquitto,
  subscribe,
  type TestBroker,
  type TestSubscriber,
} from "../helpers/brokers.js";
import { TEST_CLOUD_PUBLIC_PEM } from "../helpers/commands.js";
import { waitFor } from "../helpers/wait.js";
import {
  decisions,
  receiverOptions,
  sqliteStoreFactory,
  startReceiver,
  type TestReceiver,
  waitDecision,
} from "../receiver/rig.js";

describe("fleet figures (tests/bench/fleet/metrics.ts)", () => {
  it("takes quantiles by nearest rank", () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(quantile(xs, 1)).toBe(100);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it("tells a growing backlog from a steady one", () => {
    const steady: [number, number][] = [0, 1, 2, 3, 4, 5].map((m) => [m, m % 2 === 0 ? 3 : 0]);
    const growing: [number, number][] = [0, 1, 2, 3, 4, 5].map((m) => [m, m * 400]);
    expect(slope(growing)).toBeCloseTo(400);
    expect(keptUp(steady, 50, 100).keptUp).toBe(true);
    expect(keptUp(growing, 50, 100)).toMatchObject({ keptUp: false, end: 2000 });
  });

  it("reads CPU time and memory of a process from /proc", () => {
    const s = procSample(process.pid);
    expect(s?.rssKb).toBeGreaterThan(1000);
    expect(s?.hwmKb).toBeGreaterThanOrEqual(s?.rssKb ?? 0);
    expect(procSample(2 ** 30)).toBeUndefined();
  });
});

describe.skipIf(!mosquittoAvailable())("a simulated gateway of the fleet against the receiver", () => {
  let broker: TestBroker;
  let cloud: TestSubscriber;
  const stores = sqliteStoreFactory();
  const rx: TestReceiver[] = [];
  const counts = { published: 0, acked: 0, refused: [] as string[], republished: 0, raised: [] as string[] };
  const obs: GatewayObserver = {
    published: () => {
      counts.published += 1;
    },
    brokerAcked: () => {},
    alertRaised: (key) => {
      counts.raised.push(key);
    },
    acked: () => {
      counts.acked += 1;
    },
    refused: (r) => {
      counts.refused.push(r);
    },
    republished: () => {
      counts.republished += 1;
    },
  };
  let gw: SimGateway;
  let ticker: NodeJS.Timeout;

  beforeAll(async () => {
    broker = await startMosquitto();
    cloud = await subscribe(broker.url, "hearth/v1/#", { protocolVersion: 5 });
    gw = new SimGateway(
      "home-fleet-1",
      broker.url,
      // Fast telemetry so the test has something to count; alerts only when the test raises one.
      {
        telemetryMs: 50,
        heartbeatMs: 200,
        alertMeanMs: Number.POSITIVE_INFINITY,
        eventMeanMs: 500,
        republishMs: 100,
      },
      parsePublicKey(TEST_CLOUD_PUBLIC_PEM),
      obs,
    );
    await gw.connect();
    ticker = setInterval(() => gw.tick(nowMs()), 10);
  });

  afterAll(async () => {
    clearInterval(ticker);
    await gw?.close();
    for (const r of rx) await r.stop();
    await cloud?.close();
    await broker?.close();
    stores.cleanup();
  });

  it("speaks contract v1, republishes an alert nobody acknowledged, and stops once the signed ack arrives", async () => {
    gw.raise(nowMs());
    await waitFor("two republishes with no receiver", () => counts.republished >= 2);
    const key = counts.raised[0];
    const copies = () => cloud.messages.filter((m) => m.envelope.id === key).length;
    expect(copies()).toBeGreaterThanOrEqual(2); // the same message id each time

    // A long grace: a range is never called lost within the test, only asked and filled.
    rx.push(await startReceiver(receiverOptions(broker.url, { gapGraceMs: 60_000 }), stores.make()));
    await waitDecision(rx, "acknowledged");
    await waitFor("the ack at the gateway", () => counts.acked === 1);
    const states = () =>
      cloud.messages
        .filter((m) => m.envelope.type === "alert")
        .map((m) => (m.envelope.body as { state: string }).state);
    await waitFor("the acknowledged state", () => states().includes("acknowledged"));
    const after = counts.republished;
    const published = counts.published;
    await waitFor("20 more messages", () => counts.published >= published + 20);
    expect(counts.republished).toBe(after);
    expect(gw.openAlerts).toBe(0);
    expect(counts.refused).toEqual([]);
    // Heartbeats, telemetry, events, the alert, its acknowledged state and the reply: all valid.
    await waitFor("a reply and an event", () =>
      ["reply", "event", "telemetry", "status"].every((t) =>
        cloud.messages.some((m) => m.envelope.type === t),
      ),
    );
    // (The receiver's commands come through the same filter; they are not envelopes.)
    expect(cloud.invalid.filter((i) => !i.topic.includes("/cmd/"))).toEqual([]);
    expect(cloud.messages.length).toBeGreaterThan(20);
    // Events sent before the receiver subscribed are asked for with `resend` and sent again.
    await waitFor(
      "every asked range filled",
      () => decisions(rx, "gap_filled").length === decisions(rx, "gap_asked").length,
    );
    expect(decisions(rx, "gap_lost")).toEqual([]);
  });

  it("dies without DISCONNECT (the will says offline) and comes back with a new session", async () => {
    const session = gw.session;
    gw.kill(300);
    await waitDecision(rx, "gateway_offline", (l) => l.by === "will" && l.session === session);
    await waitDecision(rx, "gateway_online", (l) => l.session === session + 1);
    expect(gw.up).toBe(true);
  });
});
