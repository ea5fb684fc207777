import { afterEach, describe, expect, it } from "vitest";
import { TOPIC_ROOT } from "../../src/contract/topics.js";
import { mosquittoAvailable, startMosquitto, subscribe } from "../helpers/brokers.js";
import { waitFor } from "../helpers/wait.js";
import { telemetryBody } from "../outbox/fixtures.js";
import { broker, makeRig } from "./rig.js";

describe.skipIf(!mosquittoAvailable())("Uplink, MQTT 5 specifics on Mosquitto", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  it("keeps no more messages in flight than the broker's receive maximum", async () => {
    const b = await startMosquitto({ extra: ["max_inflight_messages 2"] });
    cleanup.push(() => b.close());
    const rig = makeRig({ brokers: [broker(b.url, "5")] });
    cleanup.push(() => rig.close());
    const sub = await subscribe(b.url, `${TOPIC_ROOT}/${rig.home}/telemetry`, { protocolVersion: 5 });
    cleanup.push(() => sub.close());
    let drops = 0;
    rig.uplink.on("disconnected", () => drops++);
    for (let i = 0; i < 300; i++) rig.outbox.putTelemetry(telemetryBody(i));
    rig.outbox.flush();
    // Sample the in-flight count on every turn of the event loop while the backlog drains.
    let maxInFlight = 0;
    let sampling = true;
    const sample = () => {
      maxInFlight = Math.max(maxInFlight, rig.uplink.state().inFlight);
      if (sampling) setImmediate(sample);
    };
    sample();
    rig.uplink.start();
    await waitFor("all delivered", () => rig.outbox.pending(1000).length === 0);
    sampling = false;
    await sub.waitFor((m) => new Set(m.map((x) => x.envelope.id)).size === 300);
    // Mosquitto announced 2 in CONNACK (max_inflight_messages); without it the uplink keeps 32 out.
    expect(maxInFlight).toBeLessThanOrEqual(2);
    expect(maxInFlight).toBeGreaterThanOrEqual(1);
    expect(drops).toBe(0);
    expect(rig.uplink.state().published).toBe(300);
  });

  it("keeps a session: a command sent while the gateway was away is answered when it returns", async () => {
    const b = await startMosquitto();
    cleanup.push(() => b.close());
    const rig = makeRig({ brokers: [broker(b.url, "5")] });
    cleanup.push(() => rig.close());
    const sub = await subscribe(b.url, `${TOPIC_ROOT}/${rig.home}/reply`, { protocolVersion: 5 });
    cleanup.push(() => sub.close());
    rig.uplink.start();
    await waitFor("first connection", () => rig.uplink.state().connected);
    await rig.uplink.stop();
    const cmd = JSON.stringify({ v: 1, id: "cmd-while-away", ts: "2026-01-01T00:00:00Z", body: {} });
    await new Promise<void>((resolve, reject) =>
      sub.client.publish(`${TOPIC_ROOT}/${rig.home}/cmd/ping`, cmd, { qos: 1 }, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    rig.uplink.start();
    const [reply] = await sub.waitFor((m) => m.length >= 1);
    expect(reply?.envelope.body).toMatchObject({ command_id: "cmd-while-away", status: "ok" });
  });
});
