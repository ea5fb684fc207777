import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autoDetect } from "@serialport/bindings-cpp";
import { afterEach, describe, expect, it } from "vitest";
import { Cjt188Meter } from "../../drivers/cjt188/sim/index.js";
import { servePort } from "../../drivers/serial/sim/index.js";
import type { Envelope, TelemetryBody } from "../../src/contract/messages.js";
import { startHearthRun } from "../faults/harness/hearth-run.js";
import { type Received, startAedes, subscribe } from "../helpers/brokers.js";
import { devLinkDir, startPtyPair } from "../helpers/socat.js";
import { haveTool, requireTool } from "../helpers/tools.js";

/*
 * `hearth run` (dist/, the native serial binding) reads three CJ/T 188 water meters on one socat pty
 * that answer as real meters do (issue 13): one sends FF… for the fields it does not measure, one a
 * short 901F reply with the current flow only, one an FF… current flow. The telemetry on the broker
 * carries the first two meters' totals, and nothing for the third — never a 0.
 */

const socat = requireTool("socat", haveTool("socat", ["-V"]), "apt-get install socat");
const binding = autoDetect();
const { dir, usable: devWritable } = devLinkDir();
const HOME = "cjt-home";
const LINE = { baud: 2400, data_bits: 8, parity: "even", stop_bits: 1 } as const;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const water = (msgs: readonly Received[], device: string): number[] =>
  msgs
    .filter((m) => m.envelope.type === "telemetry")
    .map((m) => (m.envelope as Envelope<"telemetry">).body as TelemetryBody)
    .filter((b) => b.device === device)
    .flatMap((b) => b.values.filter((v) => v.channel === "water_total_m3").map((v) => v.value));

describe.skipIf(!(socat && devWritable))(
  "hearth run reads CJ/T 188 meters that send FF fields and short replies",
  () => {
    it("FF fields and a short reply give their totals; an FF total gives no value, not 0", async () => {
      const dev = join(dir as string, "ttyCJ-gw");
      const sim = join(dir as string, "ttyCJ-meters");
      const pty = await startPtyPair(dev, sim);
      cleanups.push(() => pty.kill());
      const ff = new Cjt188Meter({
        address: "00000000000021",
        values: () => ({ water_total_m3: 12.34 }),
        replyShape: "ff-fields",
      });
      const short = new Cjt188Meter({
        address: "00000000000022",
        values: () => ({ water_total_m3: 45.6 }),
        replyShape: "short",
      });
      const noTotal = new Cjt188Meter({
        address: "00000000000023",
        values: () => ({ water_total_m3: 99 }),
        replyShape: "ff-current",
      });
      const served = await servePort({
        binding,
        path: sim,
        settings: LINE,
        devices: [ff, short, noTotal],
        idleMs: 8,
      });
      cleanups.push(() => served.close());

      const broker = await startAedes();
      cleanups.push(() => broker.close());
      const sub = await subscribe(broker.url, `hearth/v1/${HOME}/#`);
      cleanups.push(() => sub.close());
      const stateDir = mkdtempSync(join(tmpdir(), "hearth-cjt-pty-"));
      cleanups.push(async () => rmSync(stateDir, { recursive: true, force: true }));
      const run = startHearthRun(
        stateDir,
        `version: 1
home: { id: ${HOME}, timezone: Asia/Shanghai }
state_dir: ${stateDir}
cloud:
  brokers: [ { url: "${broker.url}", mqtt_version: "3.1.1" } ]
  telemetry_interval: 0s
outbox: { telemetry_batch: 50, telemetry_flush: 100ms }
devices:
  - { id: water-ff, profile: generic-cjt188-cold-water, port: "${dev}", address: "00000000000021", poll: 500ms }
  - { id: water-short, profile: generic-cjt188-cold-water, port: "${dev}", address: "00000000000022", poll: 500ms }
  - { id: water-none, profile: generic-cjt188-cold-water, port: "${dev}", address: "00000000000023", poll: 500ms }
detection: { gateway_power: "off" }
log_level: warn
`,
      );
      cleanups.push(() => run.stop());

      // Telemetry leaves as soon as it is read (published before its commit): the third meter's second
      // read may come a moment after the others' second messages, so it is waited for too.
      await sub.waitFor(
        (m) =>
          water(m, "water-ff").length >= 2 &&
          water(m, "water-short").length >= 2 &&
          noTotal.seen.readData >= 2,
        45_000,
      );
      // Every meter was asked several times, the third one included.
      expect(noTotal.seen.readData).toBeGreaterThanOrEqual(2);
      expect(new Set(water(sub.messages, "water-ff"))).toEqual(new Set([12.34]));
      expect(new Set(water(sub.messages, "water-short"))).toEqual(new Set([45.6]));
      expect(water(sub.messages, "water-none")).toEqual([]);

      // The first meter stops measuring its total: what follows is no value, never 0.
      ff.replyShape = "ff-current";
      const asked = ff.seen.readData;
      const mark = sub.messages.length;
      await sub.waitFor(
        (m) => ff.seen.readData >= asked + 3 && water(m.slice(mark), "water-short").length >= 2,
        30_000,
      );
      expect(water(sub.messages, "water-ff")).not.toContain(0);
      expect(sub.invalid).toEqual([]);
      expect(run.alive()).toBe(true);
    }, 120_000);
  },
);
