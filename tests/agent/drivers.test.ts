import { afterEach, describe, expect, it } from "vitest";
import type { AdvertConsumer, BleScanner } from "../../drivers/ble/advert.js";
import type { BindingInterface } from "../../drivers/serial/binding-types.js";
import { SimulatedLine } from "../../drivers/serial/sim/index.js";
import { type RunningDrivers, startDrivers } from "../../src/agent/drivers.js";
import type { AgentHost } from "../../src/agent/host.js";
import { parseConfig } from "../../src/config/load.js";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import type { Logger } from "../../src/core/log.js";
import { silentLogger } from "../../src/core/log.js";
import type { ReadingSink } from "../../src/core/readings.js";
import { MINUTE_MS } from "../../src/core/time.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { MapStore } from "../../src/replay/engine.js";
import { captureLog } from "../helpers/log-capture.js";
import { RecordingReadingSink } from "../helpers/reading-sink.js";

const HEAD = `version: 1
home: { id: h1, timezone: Asia/Shanghai }
cloud:
  brokers:
    - url: mqtt://127.0.0.1:1883
devices:
`;
const BUTTONS = `  - { id: button-1, profile: generic-bthome-button, mac: "AA:BB:CC:DD:EE:01", insecure: true }
  - { id: button-2, profile: generic-bthome-button, mac: "AA:BB:CC:DD:EE:02", adapter: hci1, insecure: true }
`;
// A Modbus and a DL/T 645 meter on one RS-485 line (so with one setting: the DL/T meter's).
const METERS = `  - { id: meter-1, profile: eastron-sdm120, port: /dev/ttySIM0, unit_id: 1, baud: 2400, parity: even }
  - { id: meter-2, profile: generic-dlt645-single-phase, port: /dev/ttySIM0, address: "000000000002" }
`;

class FakeScanner implements BleScanner {
  ok = true;
  constructor(readonly adapter: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  health() {
    return this.ok
      ? { ok: true, detail: "scanning" }
      : { ok: false, detail: `adapter ${this.adapter} absent` };
  }
}

const running: RunningDrivers[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

/** Starts the drivers of a home whose devices are `devices` (YAML list items). */
async function start(
  devices: string,
  o: { sink?: ReadingSink; log?: Logger; host?: Partial<AgentHost>; clock?: VirtualClock } = {},
) {
  const cat = loadCatalogue();
  const parsed = parseConfig(HEAD + devices, "home.yaml", cat.profiles);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const clock = o.clock ?? new VirtualClock({ wallStartMs: Date.parse("2026-03-02T09:00:00+08:00") });
  const scanners = new Map<string, FakeScanner>();
  const bindings: BindingInterface[] = [];
  const drivers = await startDrivers({
    config: parsed.value,
    profiles: cat.profiles,
    sink: o.sink ?? new RecordingReadingSink(),
    kv: new MapStore(),
    host: {
      clock,
      netClock: clock,
      ids: new SeededIds("t"),
      log: o.log ?? silentLogger(),
      version: "test",
      bleScanner: (_c: AdvertConsumer, adapter: string) => {
        const s = new FakeScanner(adapter);
        scanners.set(adapter, s);
        return s;
      },
      serialBinding: () => {
        const line = new SimulatedLine({ clock }).addPort("/dev/ttySIM0");
        bindings.push(line);
        return Promise.resolve(line);
      },
      ...o.host,
    },
  });
  running.push(drivers);
  return { drivers, scanners, bindings, clock };
}

describe("startDrivers: BLE receivers", () => {
  it("reports each adapter's ability to hear to the sink at start and every minute, and stops reporting after stop", async () => {
    const clock = new VirtualClock({ wallStartMs: Date.parse("2026-03-02T09:00:00+08:00") });
    const reports: [string, boolean, string][] = [];
    const sink: ReadingSink = {
      readings() {},
      button() {},
      availability() {},
      receiver: (id, ok, detail) => reports.push([id, ok, detail]),
    };
    const { drivers, scanners, bindings } = await start(BUTTONS, { sink, clock });
    expect(reports).toEqual([
      ["ble:hci0", true, "scanning"],
      ["ble:hci1", true, "scanning"],
    ]);
    (scanners.get("hci1") as FakeScanner).ok = false;
    clock.advanceBy(MINUTE_MS);
    expect(reports.slice(2)).toEqual([
      ["ble:hci0", true, "scanning"],
      ["ble:hci1", false, "adapter hci1 absent"],
    ]);
    await drivers.stop();
    clock.advanceBy(5 * MINUTE_MS);
    expect(reports).toHaveLength(4);
    // A home without meters never opens a serial line.
    expect(bindings).toHaveLength(0);
    expect(Object.keys(drivers.status())).toEqual(["bthome"]);
    // Both buttons were accepted without a key because the config said insecure: true; status says so.
    const ble = (drivers.status() as { bthome: Record<string, { insecure?: boolean }> }).bthome;
    expect([ble["button-1"]?.insecure, ble["button-2"]?.insecure]).toEqual([true, true]);
  });
});

describe("startDrivers: the protocol table", () => {
  it("meters of two protocols share one pool of serial lines and report under drivers.meters.<protocol>", async () => {
    const { drivers, bindings } = await start(BUTTONS + METERS);
    expect(bindings).toHaveLength(1);
    const status = drivers.status() as {
      bthome: Record<string, unknown>;
      meters: Record<string, { id: string }[]>;
    };
    expect(Object.keys(status)).toEqual(["bthome", "meters"]);
    expect(Object.keys(status.bthome).sort()).toEqual(["button-1", "button-2"]);
    expect(Object.keys(status.meters)).toEqual(["modbus", "dlt645"]);
    expect(status.meters.modbus?.map((d) => d.id)).toEqual(["meter-1"]);
    expect(status.meters.dlt645?.map((d) => d.id)).toEqual(["meter-2"]);
    expect(drivers.resetBleCounter("button-1")).toBe(true);
    expect(drivers.resetBleCounter("meter-1")).toBe(false);
  });

  it("serial lines that cannot open: the meters fail once in the log, the BLE driver runs on", async () => {
    const { log, lines } = captureLog();
    const { drivers } = await start(BUTTONS + METERS, {
      log,
      host: {
        serialBinding: () => Promise.reject(new Error("no serial ports here")),
      },
    });
    const failures = lines.filter((l) => l.level === 50);
    expect(failures.map((l) => l.msg)).toEqual(["Meter drivers failed to start: no serial ports here"]);
    expect(Object.keys(drivers.status())).toEqual(["bthome"]);
  });
});
