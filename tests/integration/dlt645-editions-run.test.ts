import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autoDetect } from "@serialport/bindings-cpp";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Dlt645Meter } from "../../drivers/dlt645/sim/index.js";
import { servePort } from "../../drivers/serial/sim/index.js";
import type { Envelope, TelemetryBody } from "../../src/contract/messages.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import type { Dlt645Profile } from "../../src/profiles/dlt645.js";
import { startHearthRun } from "../faults/harness/hearth-run.js";
import { type Received, startAedes, subscribe } from "../helpers/brokers.js";
import { devLinkDir, startPtyPair } from "../helpers/socat.js";
import { haveTool, requireTool } from "../helpers/tools.js";

/*
 * The product itself, `hearth run` from dist/, reads a DL/T 645-1997 and a DL/T 645-2007 meter on ONE
 * socat pseudo-terminal (one RS-485 line at 2400 8E1), each by its address with its edition's frames.
 * The simulators are served on the pty's far end; what the agent makes of them is checked on a broker,
 * through the message contract.
 */

const socat = requireTool("socat", haveTool("socat", ["-V"]), "apt-get install socat");
const { dir: devDir, usable: devWritable } = devLinkDir();
const binding = autoDetect();
const catalogue = loadCatalogue();
const HOME = "dlt-editions";
const OLD = "000000970001";
const NEW = "000000200701";
const LINE = { baud: 2400, data_bits: 8, parity: "even", stop_bits: 1 } as const;
const dir = mkdtempSync(join(tmpdir(), "hearth-dlt-editions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const config = (brokerUrl: string, port: string) => `version: 1
home: { id: ${HOME}, timezone: Asia/Shanghai }
state_dir: ${join(dir, "state")}
cloud:
  brokers: [{ url: "${brokerUrl}", mqtt_version: "3.1.1" }]
  backoff_initial: 100ms
  backoff_max: 1s
  telemetry_interval: 0s
outbox: { telemetry_batch: 20, telemetry_flush: 100ms }
devices:
  - { id: power-1997, profile: generic-dlt645-1997-single-phase, port: "${port}", address: "${OLD}", baud: 2400, parity: even, poll: 500ms }
  - { id: power-2007, profile: generic-dlt645-single-phase, port: "${port}", address: "${NEW}", baud: 2400, parity: even, poll: 500ms }
log_level: warn
`;

const profile = (id: string) => catalogue.profiles.get(id) as Dlt645Profile;

function latest(msgs: readonly Received[], device: string): Record<string, { value: number; unit: string }> {
  const t = msgs
    .filter((m) => m.envelope.type === "telemetry")
    .map((m) => (m.envelope as Envelope<"telemetry">).body as TelemetryBody)
    .filter((b) => b.device === device)
    .at(-1);
  const out: Record<string, { value: number; unit: string }> = {};
  for (const v of t?.values ?? []) out[v.channel] = { value: v.value, unit: v.unit };
  return out;
}

describe.skipIf(!(socat && devWritable))(
  "hearth run reads a DL/T 645-1997 and a -2007 meter on one socat pty",
  () => {
    it("telemetry of both arrives on the broker with each meter's values", async () => {
      const gw = join(devDir as string, "ttyEd-gw");
      const pty = await startPtyPair(gw, join(devDir as string, "ttyEd-meters"));
      cleanups.push(() => pty.kill());
      const old = new Dlt645Meter({
        edition: 1997,
        address: OLD,
        identifiers: profile("generic-dlt645-1997-single-phase").dlt645.identifiers,
        values: () => ({ energy_total_kwh: 1426.79, voltage_v: 223, current_a: 4.56, power_w: 1017.3 }),
        delayMs: 20,
      });
      const cur = new Dlt645Meter({
        address: NEW,
        identifiers: profile("generic-dlt645-single-phase").dlt645.identifiers,
        values: () => ({ energy_total_kwh: 987.65, voltage_v: 228.4, current_a: 0.52, power_w: 118.3 }),
        delayMs: 20,
      });
      const served = await servePort({
        binding,
        path: pty.b,
        settings: LINE,
        devices: [old, cur],
        idleMs: 8,
      });
      cleanups.push(() => served.close());
      const broker = await startAedes();
      cleanups.push(() => broker.close());
      const sub = await subscribe(broker.url, `hearth/v1/${HOME}/#`);
      cleanups.push(() => sub.close());
      const agent = startHearthRun(dir, config(broker.url, gw));
      cleanups.push(() => agent.stop());

      const both = (m: readonly Received[]) =>
        Object.keys(latest(m, "power-1997")).length === 4 &&
        Object.keys(latest(m, "power-2007")).length === 4;
      await sub.waitFor(both, 30_000).catch((e: unknown) => {
        throw new Error(`${String(e)}\nhearth run stderr:\n${agent.stderr().slice(-2000)}`);
      });
      const a = latest(sub.messages, "power-1997");
      expect(a.energy_total_kwh).toEqual({ value: expect.closeTo(1426.79, 6), unit: "kWh" });
      // 1997 sends whole volts (B611 XXX) and XX.XX A.
      expect(a.voltage_v).toEqual({ value: 223, unit: "V" });
      expect(a.current_a).toEqual({ value: expect.closeTo(4.56, 6), unit: "A" });
      expect(a.power_w).toEqual({ value: 1017.3, unit: "W" });
      const b = latest(sub.messages, "power-2007");
      expect(b.energy_total_kwh).toEqual({ value: expect.closeTo(987.65, 6), unit: "kWh" });
      expect(b.voltage_v).toEqual({ value: expect.closeTo(228.4, 6), unit: "V" });
      expect(b.current_a).toEqual({ value: expect.closeTo(0.52, 6), unit: "A" });
      expect(b.power_w).toEqual({ value: 118.3, unit: "W" });
      // Each meter was asked in its own edition only: neither saw a frame of the other's it had to refuse.
      expect(old.seen.readData).toBeGreaterThanOrEqual(4);
      expect(cur.seen.readData).toBeGreaterThanOrEqual(4);
      expect(old.seen.other + cur.seen.other).toBe(0);
      expect(sub.invalid).toEqual([]);
      expect(agent.alive()).toBe(true);
      expect(await agent.stop()).toBe(0);
    }, 90_000);
  },
);
