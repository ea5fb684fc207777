import { afterAll, bench, describe } from "vitest";
import { SystemClock } from "../../src/core/clock.js";
import { haveMosquitto, startAedes, startMosquitto, type TestBroker } from "../helpers/brokers.js";
import { waitFor } from "../helpers/wait.js";
import { telemetryBody } from "../outbox/fixtures.js";
import { broker, makeRig } from "../uplink/rig.js";

/**
 * One op = a backlog of BACKLOG telemetry rows in an in-memory outbox, drained to a local broker after
 * connect with the rate bound off (QoS 1, PUBACK, delivery marks). msgs/s ≈ hz × BACKLOG; the drain
 * alone is timed too and printed after each run.
 */
const BACKLOG = 2000;

async function drainOnce(b: TestBroker, version: "3.1.1" | "5", drains: number[]): Promise<void> {
  const rig = makeRig({ brokers: [broker(b.url, version)], clock: new SystemClock() });
  for (let i = 0; i < BACKLOG; i++) rig.outbox.putTelemetry(telemetryBody(i));
  rig.outbox.flush();
  const t0 = performance.now();
  rig.uplink.start();
  await waitFor("drain", () => rig.uplink.state().published >= BACKLOG, {
    timeoutMs: 60_000,
    intervalMs: 20,
  });
  drains.push(performance.now() - t0);
  await rig.close();
}

function report(name: string, drains: number[]): void {
  if (drains.length === 0) return;
  const sorted = [...drains].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  console.info(
    `${name}: ${drains.length} drains of ${BACKLOG}; median ${median.toFixed(0)} ms = ${Math.round((BACKLOG / median) * 1000)} msgs/s (connect included)`,
  );
}

describe("replay to a local broker, rate bound off", async () => {
  const aedes = await startAedes();
  const mosq = haveMosquitto ? await startMosquitto() : undefined;
  afterAll(async () => {
    await aedes.close();
    await mosq?.close();
  });
  const aedesDrains: number[] = [];
  bench(`aedes MQTT 3.1.1, ${BACKLOG} msgs per op`, () => drainOnce(aedes, "3.1.1", aedesDrains), {
    iterations: 5,
    time: 0,
    warmupIterations: 1,
    setup: () => {
      aedesDrains.length = 0;
    },
    teardown: () => report("aedes 3.1.1", aedesDrains),
  });

  if (mosq) {
    const m3: number[] = [];
    const m5: number[] = [];
    bench(`Mosquitto MQTT 3.1.1, ${BACKLOG} msgs per op`, () => drainOnce(mosq, "3.1.1", m3), {
      iterations: 5,
      time: 0,
      warmupIterations: 1,
      setup: () => {
        m3.length = 0;
      },
      teardown: () => report("Mosquitto 3.1.1", m3),
    });
    bench(`Mosquitto MQTT 5, ${BACKLOG} msgs per op`, () => drainOnce(mosq, "5", m5), {
      iterations: 5,
      time: 0,
      warmupIterations: 1,
      setup: () => {
        m5.length = 0;
      },
      teardown: () => report("Mosquitto 5", m5),
    });
  }
});
