import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autoDetect } from "@serialport/bindings-cpp";
import { afterAll, describe, expect, it } from "vitest";
import { SimulatedModbusMeter } from "../../drivers/modbus/sim/index.js";
import { type ServedPort, servePort } from "../../drivers/serial/sim/index.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import type { ModbusProfile } from "../../src/profiles/modbus.js";
import { mosquittoAvailable } from "../helpers/brokers.js";
import { devLinkDir, type PtyPair, startPtyPair } from "../helpers/socat.js";
import { haveTool, requireTool } from "../helpers/tools.js";
import { sleep, waitFor } from "../helpers/wait.js";
import { type FaultCloud, startFaultCloud } from "./harness/cloud.js";
import { deliverAll } from "./harness/deliver.js";
import { startHearthRun } from "./harness/hearth-run.js";
import { Ledger, seqReuse } from "./harness/ledger.js";
import { writeRow } from "./harness/report.js";
import { faultSeed, reproduce, seededRandom, sized } from "./harness/size.js";

/*
 * Scenario d: `hearth run` (the product, from dist/) reads two Modbus meters on a socat pseudo-terminal
 * whose pair is killed and started again in a storm: short blinks the agent should ride out, and
 * outages long enough for the meters to go offline. The agent must live through it, say offline and
 * online through the contract, and lose nothing it made durable.
 */
const CYCLES = sized(10, 200);
const HOME = "faults-serial";
const socat = requireTool("socat", haveTool("socat", ["-V"]), "apt-get install socat");
const { dir: devDir, usable: devWritable } = devLinkDir();
const binding = autoDetect();
const profile = loadCatalogue().profiles.get("eastron-sdm120") as ModbusProfile;
const dir = mkdtempSync(join(tmpdir(), "hearth-faults-serial-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (brokerUrl: string, port: string) => `version: 1
home: { id: ${HOME}, timezone: Asia/Shanghai }
state_dir: ${join(dir, "state")}
cloud:
  brokers: [{ url: "${brokerUrl}", mqtt_version: "5" }]
  heartbeat: 1s
  backoff_initial: 100ms
  backoff_max: 1s
  telemetry_interval: 0s
outbox: { telemetry_batch: 20, telemetry_flush: 200ms }
devices:
  - { id: meter-a, profile: eastron-sdm120, port: "${port}", unit_id: 1, poll: 300ms }
  - { id: meter-b, profile: eastron-sdm120, port: "${port}", unit_id: 2, poll: 300ms }
log_level: warn
`;

interface Plugged {
  pty: PtyPair;
  served: ServedPort;
}

async function plug(gw: string, sim: string): Promise<Plugged> {
  const pty = await startPtyPair(gw, sim);
  const meter = (unitId: number) =>
    new SimulatedModbusMeter({
      profile,
      unitId,
      values: () => ({
        voltage_v: 230,
        current_a: 1,
        power_w: 200 + unitId,
        frequency_hz: 50,
        energy_total_kwh: 10,
      }),
    });
  const served = await servePort({
    binding,
    path: sim,
    settings: { baud: 9600, data_bits: 8, parity: "none", stop_bits: 1 },
    devices: [meter(1), meter(2)],
    idleMs: 8,
  });
  return { pty, served };
}

async function unplug(p: Plugged): Promise<void> {
  await p.served.close().catch(() => undefined);
  await p.pty.kill();
}

const alerts = (cloud: FaultCloud, kind: string, state: string, device: string) =>
  [...cloud.deliveries.values()].filter(
    (l) =>
      l[0]?.type === "alert" &&
      l[0].body.kind === kind &&
      l[0].body.state === state &&
      l[0].body.device === device,
  ).length;

describe.runIf(mosquittoAvailable() && socat && devWritable)(
  "fault: serial adapters vanishing in a storm",
  () => {
    it(
      `${CYCLES} unplug/replug cycles of the meters' pty under hearth run: alive, offline/online said, nothing lost`,
      async () => {
        const seed = faultSeed();
        const random = seededRandom(seed);
        const gw = join(devDir as string, "ttyStorm-gw");
        const sim = join(devDir as string, "ttyStorm-meters");
        const cloud = await startFaultCloud(HOME);
        const ledger = new Ledger();
        let line = await plug(gw, sim);
        const agent = startHearthRun(dir, config(cloud.url, gw));
        try {
          const telemetryOf = (device: string) =>
            [...cloud.deliveries.values()].filter(
              (l) => l[0]?.type === "telemetry" && l[0].body.device === device,
            ).length;
          await waitFor(
            "both meters' telemetry",
            () => telemetryOf("meter-a") > 0 && telemetryOf("meter-b") > 0,
            {
              timeoutMs: 30_000,
              detail: () => agent.stderr().slice(-2000),
            },
          );
          let long = 0;
          for (let c = 0; c < CYCLES; c++) {
            await unplug(line);
            ledger.fault();
            // Every third cycle an outage long enough for 3 failed polls; otherwise a blink.
            const outage = c % 3 === 2;
            if (outage) long++;
            await sleep(outage ? 2_500 + Math.floor(random() * 1_000) : Math.floor(random() * 600));
            line = await plug(gw, sim);
            await sleep(outage ? 2_000 : 200 + Math.floor(random() * 800));
            expect(agent.alive(), agent.stderr().slice(-2000)).toBe(true);
          }
          // After the storm both meters come back and report again.
          const mark = telemetryOf("meter-a");
          await waitFor("meter-a reporting again", () => telemetryOf("meter-a") > mark + 2, {
            timeoutMs: 30_000,
          });
          await waitFor(
            "meter-a offline and back online said through the contract",
            () =>
              alerts(cloud, "device_offline", "raised", "meter-a") > 0 &&
              alerts(cloud, "device_offline", "cleared", "meter-a") >=
                alerts(cloud, "device_offline", "raised", "meter-a"),
            { timeoutMs: 30_000 },
          );
          expect(await agent.stop()).toBe(0);
          ledger.readOutbox(join(dir, "state"));
          ledger.telemetryMade(ledger.durableTelemetry().size);
          await deliverAll(cloud, ledger, 30_000);

          const row = ledger.row(
            HOME,
            `${CYCLES} pty unplug/replug cycles (${long} long outages), seed ${seed}`,
            cloud,
            {
              command: reproduce("tests/faults/serial-storm.test.ts", seed),
              notes: {
                seed,
                offlineRaised:
                  alerts(cloud, "device_offline", "raised", "meter-a") +
                  alerts(cloud, "device_offline", "raised", "meter-b"),
                offlineCleared:
                  alerts(cloud, "device_offline", "cleared", "meter-a") +
                  alerts(cloud, "device_offline", "cleared", "meter-b"),
              },
            },
          );
          writeRow(row);
          expect(row.alertsEventsMade).toBeGreaterThan(0);
          expect(row.lostIds).toEqual([]);
          // What the last poll committed while the agent stopped waits in the outbox for its next start.
          expect(row.telemetryDelivered + row.telemetryStillQueued).toBe(row.telemetryDurable);
          expect(seqReuse(cloud)).toEqual([]);
          expect(cloud.unreadable).toEqual([]);
        } finally {
          await agent.stop();
          await unplug(line);
          await cloud.close();
        }
      },
      sized(180_000, 3_600_000),
    );
  },
);
