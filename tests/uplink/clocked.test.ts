import { afterEach, describe, expect, it } from "vitest";
import type { StatusBody } from "../../src/contract/messages.js";
import { TOPIC_ROOT } from "../../src/contract/topics.js";
import { VirtualClock } from "../../src/core/clock.js";
import { MINUTE_MS } from "../../src/core/time.js";
import { startAedes, subscribe } from "../helpers/brokers.js";
import { captureLog } from "../helpers/log-capture.js";
import { driveUntil, waitFor } from "../helpers/wait.js";
import { eventBody } from "../outbox/fixtures.js";
import { broker, makeRig } from "./rig.js";

/** Uplink behaviour that runs on its injected clock (rate, heartbeat), against the embedded broker. */
describe("Uplink on a virtual clock", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  it("drains at most replay_rate messages per second of clock time", async () => {
    const b = await startAedes();
    cleanup.push(() => b.close());
    const clock = new VirtualClock();
    const rig = makeRig({ brokers: [broker(b.url)], clock, replayRate: 10 });
    cleanup.push(() => rig.close());
    for (let i = 0; i < 40; i++) rig.outbox.putEvent(eventBody(i));
    const start = clock.monotonicMs();
    rig.uplink.start();
    await waitFor("the first message", () => rig.uplink.state().published >= 1);
    await driveUntil(clock, "all 40", () => rig.uplink.state().published >= 40, { stepMs: 50 });
    // 1 at once, then one every 100 ms: the 40th cannot go before 3.9 s of clock time.
    expect(clock.monotonicMs() - start).toBeGreaterThanOrEqual(3900);
    await waitFor("delivery marks", () => rig.outbox.pending(100).length === 0);
  });

  it("republishes status with fresh health every heartbeat", async () => {
    const b = await startAedes();
    cleanup.push(() => b.close());
    const clock = new VirtualClock();
    const rig = makeRig({ brokers: [broker(b.url)], clock, heartbeatMs: MINUTE_MS });
    cleanup.push(() => rig.close());
    const sub = await subscribe(b.url, `${TOPIC_ROOT}/${rig.home}/status`);
    cleanup.push(() => sub.close());
    rig.uplink.start();
    await sub.waitFor((m) => m.length >= 1);
    rig.outbox.putEvent(eventBody(1));
    await waitFor("the event", () => rig.uplink.state().published === 1);
    clock.advanceBy(MINUTE_MS);
    const msgs = await sub.waitFor((m) => m.length >= 2);
    const [first, second] = msgs.map((m) => m.envelope);
    expect((first?.body as StatusBody | undefined)?.health?.uptime_s).toBe(0);
    expect(second?.body).toMatchObject({ state: "online", health: { uptime_s: 60, outbox: { event: 0 } } });
    expect(second?.id).not.toBe(first?.id);
    expect(second?.seq).toBe(1);
    expect(first?.seq).toBe(0);
  });

  it("warns, naming the broker, when TLS settings sit next to a plain mqtt:// URL", async () => {
    const b = await startAedes();
    cleanup.push(() => b.close());
    const { log, lines } = captureLog();
    const rig = makeRig({
      brokers: [broker(b.url, "3.1.1", { tls: { ca: "/nonexistent/ca.pem", reject_unauthorized: true } })],
      clock: new VirtualClock(),
      log,
    });
    cleanup.push(() => rig.close());
    rig.uplink.start();
    await waitFor("a failed attempt (the CA file is missing)", () => rig.uplink.state().attempts >= 1);
    const warn = lines.find((l) => l.level === 40 && String(l.msg).includes("plain URL"));
    expect(warn?.broker).toBe(b.url);
    const failed = lines.find((l) => l.level === 50 && l.broker === b.url);
    expect(String((failed?.err as { message?: string } | undefined)?.message)).toContain(
      "/nonexistent/ca.pem",
    );
  });
});
