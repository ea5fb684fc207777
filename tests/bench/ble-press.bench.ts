/**
 * Call button latency: advert received → call alert durable in the outbox → broker acknowledged (the
 * uplink's `delivered` event after the PUBACK, when the alert lane of the outbox is empty again), over
 * PRESSES presses, one at a time, against a real Mosquitto on a free loopback port (MQTT 5, QoS 1).
 *
 * Two sources of adverts, both feeding the agent's real BthomeReceiver through `BleAdvert` →
 * `receiver.advert()`:
 *  - the simulated scanner (a SimulatedButton: encrypted, each advert repeated five times);
 *  - node-ble's real BluezScanner against a BlueZ impersonated by python-dbusmock (skipped without
 *    dbus-daemon/python3-dbusmock); one copy per press, and the time from the test's D-Bus
 *    `Properties.Set` is shown too (the mock's own radio, not part of a real gateway's path).
 * "Received" is stamped in a thin wrapper around the receiver, just before `advert()` of a press's first
 * copy; "durable" when the durable group that wrote the alert returns (its commit done, synchronous = FULL).
 *
 * Run: npx vitest bench --run tests/bench/ble-press.bench.ts
 */
import { loadavg } from "node:os";
import { bench, describe } from "vitest";
import { BluezScanner } from "../../drivers/ble/bluez.js";
import type { DeviceStats } from "../../drivers/bthome/receiver.js";
import { SystemClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/log.js";
import { BluezMock, haveDbusTools } from "../helpers/bluez-mock.js";
import { haveMosquitto } from "../helpers/brokers.js";
import { encryptedAdvert } from "../helpers/bthome.js";
import { waitFor } from "../helpers/wait.js";
import {
  alertAcked,
  allAcked,
  cloudAcknowledges,
  DEVICE,
  MAC,
  pct,
  type Sample,
  Stopwatch,
  simulatedPresses,
  withAgent,
} from "./suite/press-rig.js";

/** HEARTH_BENCH_PRESSES overrides, for a quick look; the figures in docs/BENCHMARKS.md are for 1,000. */
const PRESSES = Number(process.env.HEARTH_BENCH_PRESSES ?? 1000);
const WARMUP = 20;

function report(name: string, samples: readonly Sample[]): void {
  const line = (what: string, xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    return `  ${what.padEnd(30)} p50 ${pct(s, 50).toFixed(2)} ms  p90 ${pct(s, 90).toFixed(2)} ms  p99 ${pct(s, 99).toFixed(2)} ms  max ${(s.at(-1) as number).toFixed(2)} ms  mean ${mean.toFixed(2)} ms`;
  };
  const total = samples.map((x) => x.acked - x.received);
  const p99 = pct(
    [...total].sort((a, b) => a - b),
    99,
  );
  const lines = [
    `${name}: ${samples.length} presses, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
    line(
      "received → durable",
      samples.map((x) => x.durable - x.received),
    ),
    line(
      "durable → broker acked",
      samples.map((x) => x.acked - x.durable),
    ),
    line("received → broker acked", total),
    line(
      "received → button event acked",
      samples.map((x) => x.eventAcked - x.received),
    ),
  ];
  if (samples[0]?.sent !== undefined)
    lines.push(
      line(
        "D-Bus Set → broker acked",
        samples.map((x) => x.acked - (x.sent as number)),
      ),
    );
  lines.push(
    `  budget p99 < 50 ms (received → acked): ${p99 < 50 ? "met" : "NOT met"} (${p99.toFixed(2)} ms)`,
  );
  console.info(lines.join("\n"));
}

/** Presses through node-ble's BluezScanner and a dbusmock BlueZ: one Properties.Set per press. */
async function overDbus(): Promise<Sample[]> {
  const bluez = new BluezMock();
  await bluez.start();
  const samples: Sample[] = [];
  try {
    await bluez.addAdapter("hci0");
    const path = await bluez.addDevice(MAC);
    const watch = new Stopwatch();
    const advert = (counter: number, event: 0 | 1) => encryptedAdvert(MAC, counter, event);
    await withAgent(
      (consumer, adapter) =>
        new BluezScanner({ consumer, adapter, clock: new SystemClock(), log: silentLogger() }),
      watch,
      async (agent) => {
        const stats = () =>
          (agent.status().drivers as { bthome?: Record<string, DeviceStats> }).bthome?.[DEVICE];
        // A beacon until it is accepted: the scanner is then watching the device.
        await waitFor("the beacon", async () => {
          await bluez.advertise(path, advert(1, 0));
          return (stats()?.accepted ?? 0) >= 1;
        });
        await new Promise((r) => setTimeout(r, 300));
        for (let i = 0; i < WARMUP + PRESSES; i++) {
          watch.arm();
          const acked = alertAcked(agent, watch);
          const sent = performance.now();
          await bluez.advertise(path, advert(2 + i, 1));
          const at = await acked;
          const st = watch.stamp as { received: number; durable: number };
          const all = await allAcked(agent);
          if (i >= WARMUP) samples.push({ ...st, acked: at, eventAcked: all, sent });
          await cloudAcknowledges(agent, watch);
        }
      },
    );
  } finally {
    await bluez.stop();
  }
  return samples;
}

const once = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 } as const;

describe("call button: advert received → alert durable → Mosquitto PUBACK", () => {
  if (!haveMosquitto) {
    console.warn("skipping: mosquitto is not installed (apt-get install -y mosquitto)");
    return;
  }
  bench(
    `simulated scanner, ${PRESSES} presses`,
    async () => report("simulated scanner", await simulatedPresses(PRESSES, WARMUP)),
    once,
  );
  const dbus = haveDbusTools();
  if (!dbus.ok) console.warn(`skipping the node-ble + dbusmock run: ${dbus.why}`);
  else
    bench(
      `node-ble + dbusmock BlueZ, ${PRESSES} presses`,
      async () => report("node-ble + dbusmock", await overDbus()),
      once,
    );
});
