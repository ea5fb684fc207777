/**
 * Replay after an outage against raw MQTT.js, in alternating rounds of one run (issue 14): a backlog of
 * telemetry in an outbox on disk is drained by the uplink to Mosquitto (QoS 1, MQTT 5, the replay rate
 * bound off, every PUBACK marked in the outbox), against MQTT.js publishing the same number of
 * envelopes of the same size at QoS 1 and waiting for every PUBACK. Both include the connection.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { buildEnvelope } from "../../../src/contract/envelope.js";
import { SystemClock } from "../../../src/core/clock.js";
import { startMosquitto } from "../../helpers/brokers.js";
import { waitFor } from "../../helpers/wait.js";
import { telemetryBody } from "../../outbox/fixtures.js";
import { broker, makeRig } from "../../uplink/rig.js";
import { median, type SuiteRow } from "./table.js";

async function ours(url: string, dir: string, n: number): Promise<number> {
  const rig = makeRig({
    brokers: [broker(url, "5")],
    clock: new SystemClock(),
    outboxPath: join(dir, `${randomUUID()}.db`),
  });
  for (let i = 0; i < n; i++) rig.outbox.putTelemetry(telemetryBody(i));
  rig.outbox.flush();
  const t0 = performance.now();
  rig.uplink.start();
  await waitFor("the backlog delivered", () => rig.uplink.state().published >= n, {
    timeoutMs: 120_000,
    intervalMs: 5,
  });
  const ms = performance.now() - t0;
  await rig.close();
  return (n / ms) * 1000;
}

async function raw(url: string, n: number): Promise<number> {
  const home = `raw-${randomUUID().slice(0, 8)}`;
  const payloads = Array.from({ length: n }, (_, i) =>
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
  const t0 = performance.now();
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: home,
    clean: false,
    reconnectPeriod: 0,
  });
  await Promise.all(payloads.map((p) => client.publishAsync(`hearth/v1/${home}/telemetry`, p, { qos: 1 })));
  const ms = performance.now() - t0;
  await client.endAsync();
  return (n / ms) * 1000;
}

export async function replayVsRaw(quick: boolean): Promise<SuiteRow[]> {
  const n = quick ? 2000 : 10_000;
  const rounds = quick ? 3 : 5;
  const b = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), "hearth-bench-replay-"));
  const a: number[] = [];
  const r: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      a.push(await ours(b.url, dir, n));
      r.push(await raw(b.url, n));
    }
  } finally {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const ratio = median(a) / median(r);
  return [
    {
      measure: `replay of a ${n}-message backlog to Mosquitto (QoS 1, rate bound off, outbox on disk)`,
      ours: `${Math.round(median(a))} msgs/s`,
      baseline: `${Math.round(median(r))} msgs/s (raw MQTT.js, same messages)`,
      ratio,
      budget: "≥ 0.9×",
      met: ratio >= 0.9,
    },
  ];
}
