/**
 * Fall latency (issue 10, point 3): a fall reading handed to the agent (its pipeline's `readings()`,
 * where every driver hands what it decoded) → `fall` alert durable in the outbox → acknowledged by a
 * real Mosquitto (the uplink's `delivered` event after the PUBACK, MQTT 3.1.1, QoS 1), over FALLS
 * falls one at a time. Budget: 1 s p99 from the sensor's message to the broker's acknowledgement.
 * Between falls the alert is acknowledged as the cloud would (`Pipeline.acknowledge`), so the next
 * reading raises a new alert, and everything is delivered before the next fall. The simulated home's
 * meters keep polling once a second meanwhile (telemetry shares the connection).
 *
 * With HEARTH_BENCH_SPEAKER=1 the agent has a real speaker (espeak-ng, `aplay -D null`) that says
 * "help has been called" and "help is coming" at every fall: the alert path must not wait on it.
 *
 * Run: npx vitest bench --run tests/bench/fall.bench.ts   (HEARTH_BENCH_FALLS=100 for a quick look)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { bench, describe } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { Speaker } from "../../src/outputs/index.js";
import { haveMosquitto, startMosquitto } from "../helpers/brokers.js";
import { simHomeAgent } from "../helpers/sim-home.js";
import { waitFor } from "../helpers/wait.js";
import { pct, whenDelivered } from "./suite/press-rig.js";

const FALLS = Number(process.env.HEARTH_BENCH_FALLS ?? 1000);
const WARMUP = 20;
const DEVICE = "radar-1";
const SPEAKER = process.env.HEARTH_BENCH_SPEAKER === "1";

interface Sample {
  handed: number;
  durable: number;
  acked: number;
}

function report(samples: readonly Sample[]): void {
  const line = (what: string, xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    return `  ${what.padEnd(26)} p50 ${pct(s, 50).toFixed(2)} ms  p90 ${pct(s, 90).toFixed(2)} ms  p99 ${pct(s, 99).toFixed(2)} ms  max ${(s.at(-1) as number).toFixed(2)} ms  mean ${mean.toFixed(2)} ms`;
  };
  const total = samples.map((x) => x.acked - x.handed);
  const p99 = pct(
    [...total].sort((a, b) => a - b),
    99,
  );
  console.info(
    [
      `fall${SPEAKER ? " (with a real speaker, aplay -D null)" : ""}: ${samples.length} falls, load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")}`,
      line(
        "handed → durable",
        samples.map((x) => x.durable - x.handed),
      ),
      line(
        "durable → broker acked",
        samples.map((x) => x.acked - x.durable),
      ),
      line("handed → broker acked", total),
      `  budget p99 < 1000 ms (handed → acked): ${p99 < 1000 ? "met" : "NOT met"} (${p99.toFixed(2)} ms)`,
    ].join("\n"),
  );
}

async function falls(): Promise<Sample[]> {
  const broker = await startMosquitto();
  const stateDir = mkdtempSync(join(tmpdir(), "hearth-bench-fall-"));
  const speaker = new Speaker({
    device: "null",
    language: "zh",
    cacheDir: join(stateDir, "prompts"),
    log: silentLogger(),
  });
  const { agent, clock } = simHomeAgent({
    brokerUrl: broker.url,
    stateDir,
    log: silentLogger(),
    ...(SPEAKER ? { host: { outputs: speaker } } : {}),
  });
  const samples: Sample[] = [];
  let durable: number | undefined;
  try {
    await agent.start();
    await waitFor("the uplink to connect", () => agent.uplink.state().connected);
    if (SPEAKER) await speaker.prepare();
    // Bench-only instrumentation: "durable" when the outbox's putAlert returns (the row committed).
    const put = agent.outbox.putAlert.bind(agent.outbox);
    agent.outbox.putAlert = (body) => {
      const r = put(body);
      if (body.kind === "fall" && body.state === "raised") durable = performance.now();
      return r;
    };
    for (let i = 0; i < WARMUP + FALLS; i++) {
      durable = undefined;
      const acked = whenDelivered(agent, () => durable !== undefined && agent.outbox.depth().alert === 0);
      const handed = performance.now();
      agent.pipeline.readings([{ device: DEVICE, channel: "fall", value: 1, mono: clock.monotonicMs() }]);
      const at = await acked;
      if (i >= WARMUP) samples.push({ handed, durable: durable as unknown as number, acked: at });
      const open = agent.pipeline.alerts.findOpen("fall", DEVICE);
      if (!open) throw new Error("the fall alert was not raised");
      agent.pipeline.acknowledge(open.alert, "bench");
      await whenDelivered(agent, () => agent.outbox.depth().alert === 0);
    }
  } finally {
    await agent.stop();
    await broker.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return samples;
}

const once = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 } as const;

describe("fall: reading handed to the agent → alert durable → Mosquitto PUBACK", () => {
  if (!haveMosquitto) {
    console.warn("skipping: mosquitto is not installed (apt-get install -y mosquitto)");
    return;
  }
  bench(`${FALLS} falls`, async () => report(await falls()), once);
});
