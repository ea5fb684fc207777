import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BluezMock, bluezMockAvailable } from "../helpers/bluez-mock.js";
import { mosquittoAvailable } from "../helpers/brokers.js";
import { encryptedAdvert, TEST_KEY } from "../helpers/bthome.js";
import { sleep, waitFor } from "../helpers/wait.js";
import { type FaultCloud, startFaultCloud } from "./harness/cloud.js";
import { deliverAll } from "./harness/deliver.js";
import { type HearthRun, startHearthRun } from "./harness/hearth-run.js";
import { Ledger, seqReuse } from "./harness/ledger.js";
import { writeRow } from "./harness/report.js";
import { faultSeed, reproduce, seededRandom, sized } from "./harness/size.js";

/*
 * Scenario j: `hearth run` (the product, from dist/, its real node-ble scanner) with a call button on
 * hci0 of a BlueZ impersonated on a private D-Bus (python-dbusmock), and the adapter pulled out and put
 * back again and again, as a USB dongle that drops off the bus. The process must live through it, and
 * the button's first press after each return must reach the cloud.
 */
const CYCLES = sized(5, 100);
const HOME = "faults-ble";
const MAC = "A4:C1:38:0F:AB:01";
const dir = mkdtempSync(join(tmpdir(), "hearth-faults-ble-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (brokerUrl: string) => `version: 1
home: { id: ${HOME}, timezone: Asia/Shanghai }
state_dir: ${join(dir, "state")}
cloud:
  brokers: [{ url: "${brokerUrl}", mqtt_version: "5" }]
  heartbeat: 1s
  backoff_initial: 100ms
  backoff_max: 1s
outbox: { telemetry_batch: 20, telemetry_flush: 200ms }
devices:
  - { id: call-button, profile: shelly-blu-button1, mac: "${MAC}", key: ${TEST_KEY}, adapter: hci0 }
log_level: warn
`;

/** Button events at the cloud (each press once, whatever its copies). */
const pressEvents = (cloud: FaultCloud) =>
  [...cloud.deliveries.values()].filter((l) => l[0]?.type === "event" && l[0].body.event === "button").length;

describe.runIf(mosquittoAvailable() && bluezMockAvailable())(
  "fault: the BLE adapter removed under hearth run",
  () => {
    it(
      `${CYCLES} removals of hci0 with the button's devices: the process lives, a press after each return is heard`,
      async () => {
        const seed = faultSeed();
        const random = seededRandom(seed);
        const bluez = new BluezMock();
        await bluez.start();
        await bluez.addAdapter("hci0");
        const cloud = await startFaultCloud(HOME);
        const ledger = new Ledger();
        let agent: HearthRun | undefined;
        let counter = 1;
        /** One press (a new counter), advertised until the cloud has one more button event. */
        const press = async (path: string, what: string) => {
          const before = pressEvents(cloud);
          const advert = encryptedAdvert(MAC, counter++, 1);
          await waitFor(
            what,
            async () => {
              if (pressEvents(cloud) > before) return true;
              await bluez.advertise(path, advert).catch(() => undefined);
              await sleep(100);
              return pressEvents(cloud) > before;
            },
            {
              timeoutMs: 60_000,
              detail: () => ({ alive: agent?.alive(), stderr: agent?.stderr().slice(-2000) }),
            },
          );
        };
        try {
          let path = await bluez.addDevice(MAC);
          agent = startHearthRun(dir, config(cloud.url));
          await waitFor("hearth run online", () => cloud.idsOfType("status").size > 0, {
            timeoutMs: 30_000,
            detail: () => agent?.stderr().slice(-2000),
          });
          await press(path, "the first press");
          for (let c = 0; c < CYCLES; c++) {
            await bluez.removeAdapter("hci0");
            ledger.fault();
            await sleep(Math.floor(random() * 3_000));
            await bluez.addAdapter("hci0");
            path = await bluez.addDevice(MAC);
            await press(path, `a press after return ${c + 1}`);
            expect(agent.alive(), agent.stderr().slice(-2000)).toBe(true);
          }
          await sleep(1_000);
          const alive = agent.alive();
          expect(await agent.stop()).toBe(0);
          ledger.readOutbox(join(dir, "state"));
          await deliverAll(cloud, ledger, 20_000);

          const row = ledger.row(
            HOME,
            `${CYCLES} removals of the BLE adapter under hearth run, seed ${seed}`,
            cloud,
            {
              command: reproduce("tests/faults/ble-adapter.test.ts", seed),
              notes: { seed, pressesHeard: pressEvents(cloud), pressesMade: counter - 1 },
            },
          );
          writeRow(row);
          expect(alive).toBe(true);
          expect(pressEvents(cloud)).toBe(CYCLES + 1);
          expect(row.lostIds).toEqual([]);
          expect(row.stillQueued).toBe(0);
          expect(seqReuse(cloud)).toEqual([]);
          expect(cloud.unreadable).toEqual([]);
        } finally {
          await agent?.stop();
          await cloud.close();
          await bluez.stop();
        }
      },
      sized(180_000, 1_800_000),
    );
  },
);
