/**
 * Replay after an outage against raw MQTT.js, in alternating rounds of one run (issue 14): a backlog of
 * telemetry in an outbox on disk is drained by the uplink to Mosquitto (QoS 1, MQTT 5, the replay rate
 * bound off, every PUBACK marked in the outbox), against MQTT.js publishing the same number of
 * envelopes of the same size at QoS 1, with the same MQTT 5 properties (JSON, UTF-8), and waiting for
 * every PUBACK. All three include the connection.
 *
 * Two raw baselines, both reported. MQTT.js does not keep to the broker's receive maximum when it
 * publishes (MQTT 5 §4.9: a client MUST NOT have more QoS 1 publishes unacknowledged than the CONNACK's
 * Receive Maximum; Mosquitto's default is 20): "all at once" hands it the whole backlog in one go,
 * which Mosquitto tolerates for QoS 1 and a broker that enforces the rule answers by disconnecting.
 * "within the receive maximum" is the same client, the same messages, keeping at most that many in
 * flight, which is what the uplink must do; the budget is taken against it (docs/BENCHMARKS.md).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { buildEnvelope } from "../../../src/contract/envelope.js";
import { SystemClock } from "../../../src/core/clock.js";
import { startMosquitto } from "../../helpers/brokers.js";
import { telemetryBody } from "../../outbox/fixtures.js";
import { broker, makeRig } from "../../uplink/rig.js";
import { median, type SuiteRow } from "./table.js";

/** The uplink's rate: messages acknowledged and marked delivered in the outbox, from start. */
export async function ours(url: string, dir: string, n: number): Promise<number> {
  const rig = makeRig({
    brokers: [broker(url, "5")],
    clock: new SystemClock(),
    outboxPath: join(dir, `${randomUUID()}.db`),
  });
  for (let i = 0; i < n; i++) rig.outbox.putTelemetry(telemetryBody(i));
  rig.outbox.flush();
  // Taken at the `delivered` event that brings the count to n (the marks are part of the replay), not
  // by polling, which would add up to a polling interval to our side only.
  const drained = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the backlog was not delivered in 120 s")), 120_000);
    rig.uplink.on("delivered", () => {
      if (rig.uplink.state().published < n) return;
      clearTimeout(timer);
      resolve(performance.now());
    });
  });
  const t0 = performance.now();
  rig.uplink.start();
  const ms = (await drained) - t0;
  await rig.close();
  return (n / ms) * 1000;
}

function payloads(home: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify(
      buildEnvelope("telemetry", telemetryBody(i), {
        id: randomUUID(),
        home,
        seq: i + 1,
        laneSeq: i + 1,
        ts: "2026-03-02T09:00:00.000+08:00",
        synced: true,
      }),
    ),
  );
}

/**
 * Raw MQTT.js publishing `n` envelopes at QoS 1, waiting for every PUBACK: all at once (`window`
 * undefined), or at most the broker's receive maximum unacknowledged at a time.
 */
export async function raw(url: string, n: number, window: "all" | "receive-maximum"): Promise<number> {
  const home = `raw-${randomUUID().slice(0, 8)}`;
  const bodies = payloads(home, n);
  const topic = `hearth/v1/${home}/telemetry`;
  // The uplink's PUBLISH on MQTT 5 says its payload is JSON (connection.ts): the same packets here.
  const opts: mqtt.IClientPublishOptions = {
    qos: 1,
    properties: { contentType: "application/json", payloadFormatIndicator: true },
  };
  const t0 = performance.now();
  const client = mqtt.connect(url, { protocolVersion: 5, clientId: home, clean: false, reconnectPeriod: 0 });
  const connack = await new Promise<mqtt.IConnackPacket>((resolve, reject) => {
    client.once("connect", resolve);
    client.once("error", reject);
  });
  if (window === "all") await Promise.all(bodies.map((p) => client.publishAsync(topic, p, opts)));
  else {
    const max = connack.properties?.receiveMaximum ?? 65_535;
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let acked = 0;
      const one = () => {
        const p = bodies[next++];
        if (p === undefined) return;
        client.publish(topic, p, opts, (err) => {
          if (err) reject(err);
          else if (++acked === n) resolve();
          else one();
        });
      };
      for (let i = 0; i < Math.min(max, n); i++) one();
    });
  }
  const ms = performance.now() - t0;
  await client.endAsync();
  return (n / ms) * 1000;
}

export async function replayVsRaw(quick: boolean): Promise<SuiteRow[]> {
  const n = quick ? 2000 : 10_000;
  const rounds = quick ? 7 : 9;
  const b = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), "hearth-bench-replay-"));
  const a: number[] = [];
  const w: number[] = [];
  const r: number[] = [];
  try {
    // The order turns each round, so that none of the three always runs on a broker just warmed up.
    const runs: (() => Promise<void>)[] = [
      async () => void a.push(await ours(b.url, dir, n)),
      async () => void w.push(await raw(b.url, n, "receive-maximum")),
      async () => void r.push(await raw(b.url, n, "all")),
    ];
    for (let i = 0; i < rounds; i++) for (let k = 0; k < runs.length; k++) await runs[(i + k) % 3]?.();
  } finally {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const fair = median(a) / median(w);
  const what = `replay of a ${n}-message backlog to Mosquitto (QoS 1, MQTT 5, rate bound off, outbox on disk)`;
  return [
    {
      measure: `${what}, against raw MQTT.js within the broker's receive maximum`,
      ours: `${Math.round(median(a))} msgs/s`,
      baseline: `${Math.round(median(w))} msgs/s (raw MQTT.js, same messages, ≤ receive maximum in flight)`,
      ratio: fair,
      budget: "≥ 0.9×",
      met: fair >= 0.9,
    },
    {
      measure: `${what}, against raw MQTT.js all at once (past the receive maximum, which MQTT 5 forbids)`,
      ours: `${Math.round(median(a))} msgs/s`,
      baseline: `${Math.round(median(r))} msgs/s (raw MQTT.js, same messages, the whole backlog at once)`,
      ratio: median(a) / median(r),
    },
  ];
}
