/**
 * The call-button press rig shared by the press benchmarks (tests/bench/ble-press.bench.ts and
 * `npm run bench`): an Agent on a real Mosquitto, adverts stamped on their way into its receiver, the
 * press's alert stamped when the outbox has committed it and again when the broker's PUBACK for it
 * arrives.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AdvertConsumer, BleAdvert, BleScanner } from "../../../drivers/ble/advert.js";
import { BTHOME_UUID } from "../../../drivers/bthome/advertising.js";
import { SimulatedButton, SimulatedScanner } from "../../../drivers/bthome/sim/index.js";
import { Agent } from "../../../src/agent/agent.js";
import type { AgentHost } from "../../../src/agent/host.js";
import { SystemClock } from "../../../src/core/clock.js";
import { randomIds } from "../../../src/core/ids.js";
import { silentLogger } from "../../../src/core/log.js";
import { startMosquitto } from "../../helpers/brokers.js";
import { bleHomeConfig, TEST_KEY } from "../../helpers/bthome.js";
import { tapGroups } from "../../helpers/group-tap.js";
import { waitFor } from "../../helpers/wait.js";

export const MAC = "A4:C1:38:00:BE:01";
export const DEVICE = "call-button";

/** Stamps adverts on their way into the receiver; `arm()` picks the next advert as a press's first copy. */
export class Stopwatch implements AdvertConsumer {
  readonly serviceUuid = BTHOME_UUID;
  inner: AdvertConsumer | undefined;
  #armed = false;
  stamp: { received: number; durable?: number; alertSeq?: number; alert?: string } | undefined;

  arm(): void {
    this.#armed = true;
    this.stamp = undefined;
  }

  advert(a: BleAdvert): void {
    if (this.#armed) {
      this.#armed = false;
      this.stamp = { received: performance.now() };
    }
    this.inner?.advert(a);
  }
}

function config(broker: string, stateDir: string) {
  return bleHomeConfig({ home: "bench-home", broker, stateDir, device: DEVICE, mac: MAC, logLevel: "warn" });
}

/**
 * Resolves with the time `cond` first holds, checked now and after every `delivered` event of the uplink
 * (which comes after the PUBACKs of a batch have been marked in the outbox).
 */
export function whenDelivered(agent: Agent, cond: () => boolean): Promise<number> {
  return new Promise((resolve) => {
    const check = () => {
      if (!cond()) return;
      agent.uplink.off("delivered", check);
      resolve(performance.now());
    };
    agent.uplink.on("delivered", check);
    check();
  });
}

/**
 * The time the broker's PUBACK for the press's alert arrives: the uplink's `acked` event for the alert's
 * seq, emitted as the PUBACK is handled and before our own bookkeeping (the delivery mark, a commit the
 * floor does not have). The floor's end point is the same: its publish's PUBACK.
 */
export function alertAcked(agent: Agent, watch: Stopwatch): Promise<number> {
  return new Promise((resolve) => {
    const check = (seq: number) => {
      if (watch.stamp?.alertSeq === undefined || seq !== watch.stamp.alertSeq) return;
      agent.uplink.off("acked", check);
      resolve(performance.now());
    };
    agent.uplink.on("acked", check);
  });
}

/** Everything acknowledged (the press's button event too) before the next press. */
export const allAcked = (agent: Agent) =>
  whenDelivered(agent, () => {
    const d = agent.outbox.depth();
    return d.alert === 0 && d.event === 0;
  });

/**
 * After a sample, outside its timed span: the cloud acknowledges the press's call, as the care
 * provider's does (the agent's `ack` command handler calls the same), and its message is delivered.
 * Left open, thousands of calls would pile up in the agent, a state no home reaches, and what looks
 * through the open alerts would grow with the run.
 */
export async function cloudAcknowledges(agent: Agent, watch: Stopwatch): Promise<void> {
  const alert = watch.stamp?.alert;
  if (alert === undefined) return;
  agent.pipeline.acknowledge(alert, "bench");
  await allAcked(agent);
}

/**
 * Stamps "durable" when the outermost durable group that wrote the press's alert returns (its one commit,
 * synchronous = FULL, is done: inside a group `putAlert` returns before it), and notes the alert's seq
 * from `putAlert`: bench-only instrumentation of the agent's own outbox instance.
 */
function stampDurable(agent: Agent, watch: Stopwatch): void {
  const outbox = agent.outbox;
  const put = outbox.putAlert.bind(outbox);
  outbox.putAlert = (body) => {
    const r = put(body);
    if (watch.stamp && watch.stamp.alertSeq === undefined) {
      watch.stamp.alertSeq = r.seq;
      watch.stamp.alert = body.alert;
    }
    return r;
  };
  tapGroups(outbox, () => {
    const st = watch.stamp;
    if (st && st.alertSeq !== undefined && st.durable === undefined) st.durable = performance.now();
  });
}

export interface Sample {
  received: number;
  durable: number;
  acked: number;
  /** The press's button event acknowledged too (the next press waits for it). */
  eventAcked: number;
  /** dbusmock only: when the test issued the Properties.Set. */
  sent?: number;
}

export function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Where the rig runs: its broker and the agent's state directory (a baseline beside it uses the same). */
export interface PressRigPlace {
  brokerUrl: string;
  stateDir: string;
}

export async function withAgent(
  scanner: (consumer: AdvertConsumer, adapter: string) => BleScanner,
  watch: Stopwatch,
  body: (agent: Agent, where: PressRigPlace) => Promise<void>,
): Promise<void> {
  const broker = await startMosquitto();
  const stateDir = mkdtempSync(join(tmpdir(), "hearth-bench-ble-"));
  const { config: cfg, profiles } = config(broker.url, stateDir);
  const clock = new SystemClock();
  const host: AgentHost = {
    clock,
    netClock: clock,
    ids: randomIds,
    log: silentLogger(),
    version: "bench",
    bleScanner: (consumer, adapter) => {
      watch.inner = consumer;
      return scanner(watch, adapter);
    },
  };
  const agent = new Agent({ config: cfg, profiles, host });
  try {
    await agent.start();
    await waitFor("the uplink to connect", () => agent.uplink.state().connected);
    stampDurable(agent, watch);
    await body(agent, { brokerUrl: broker.url, stateDir });
  } finally {
    await agent.stop();
    await broker.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Copies of each press's advert the button puts on air (a Shelly BLU Button repeats each one). */
export const COPIES = 5;

/**
 * Presses through the simulated scanner, one encrypted advert a press: `presses` presses after `warmup`
 * unrecorded ones, one at a time; `between` runs after each.
 *
 * The press's first copy is the timed one; the other COPIES − 1 are put on air after its alert's PUBACK.
 * On air they cannot come sooner: a device advertises at most every 20 ms (Bluetooth Core Specification,
 * Vol 6, Part B, 4.4.2.2.1, advInterval ≥ 20 ms), and the PUBACK comes within a millisecond. Handed
 * over in the same call as the first, their handling (the receiver's duplicate check, its garbage) ran
 * between our publish and our reading of its PUBACK, where no real button puts it.
 */
export async function simulatedPresses(
  presses: number,
  warmup: number,
  between?: (where: PressRigPlace) => Promise<void>,
): Promise<Sample[]> {
  const watch = new Stopwatch();
  let button: SimulatedButton | undefined;
  const samples: Sample[] = [];
  await withAgent(
    (consumer, adapter) => {
      const s = new SimulatedScanner({ consumer, adapter });
      button = new SimulatedButton({
        mac: MAC,
        key: TEST_KEY,
        scanner: s,
        repeats: 1,
      });
      return s;
    },
    watch,
    async (agent, where) => {
      const b = button as SimulatedButton;
      for (let i = 0; i < warmup + presses; i++) {
        watch.arm();
        const acked = alertAcked(agent, watch);
        const advert = b.press();
        const at = await acked;
        b.replay(advert, COPIES - 1);
        const { received, durable } = watch.stamp as { received: number; durable: number };
        const all = await allAcked(agent);
        if (i >= warmup) samples.push({ received, durable, acked: at, eventAcked: all });
        await cloudAcknowledges(agent, watch);
        await between?.(where);
      }
    },
  );
  return samples;
}
