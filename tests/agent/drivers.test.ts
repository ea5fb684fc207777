import { describe, expect, it } from "vitest";
import type { AdvertConsumer, BleScanner } from "../../drivers/ble/advert.js";
import { startDrivers } from "../../src/agent/drivers.js";
import { parseConfig } from "../../src/config/load.js";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import type { ReadingSink } from "../../src/core/readings.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { MapStore } from "../../src/replay/engine.js";

const YAML = `version: 1
home: { id: h1, timezone: Asia/Shanghai }
cloud:
  brokers:
    - url: mqtt://127.0.0.1:1883
devices:
  - { id: button-1, profile: generic-bthome-button, mac: "AA:BB:CC:DD:EE:01" }
  - { id: button-2, profile: generic-bthome-button, mac: "AA:BB:CC:DD:EE:02", adapter: hci1 }
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

describe("startDrivers: BLE receivers", () => {
  it("reports each adapter's ability to hear to the sink at start and every minute, and stops reporting after stop", async () => {
    const cat = loadCatalogue();
    const parsed = parseConfig(YAML, "home.yaml", cat.profiles);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const clock = new VirtualClock({ wallStartMs: Date.parse("2026-03-02T09:00:00+08:00") });
    const scanners = new Map<string, FakeScanner>();
    const reports: [string, boolean, string][] = [];
    const sink: ReadingSink = {
      readings() {},
      button() {},
      availability() {},
      receiver: (id, ok, detail) => reports.push([id, ok, detail]),
    };
    const drivers = await startDrivers({
      config: parsed.value,
      profiles: cat.profiles,
      sink,
      kv: new MapStore(),
      host: {
        clock,
        netClock: clock,
        ids: new SeededIds("t"),
        log: silentLogger(),
        version: "test",
        bleScanner: (_c: AdvertConsumer, adapter: string) => {
          const s = new FakeScanner(adapter);
          scanners.set(adapter, s);
          return s;
        },
      },
    });
    expect(reports).toEqual([
      ["ble:hci0", true, "scanning"],
      ["ble:hci1", true, "scanning"],
    ]);
    (scanners.get("hci1") as FakeScanner).ok = false;
    clock.advanceBy(60_000);
    expect(reports.slice(2)).toEqual([
      ["ble:hci0", true, "scanning"],
      ["ble:hci1", false, "adapter hci1 absent"],
    ]);
    await drivers.stop();
    clock.advanceBy(5 * 60_000);
    expect(reports).toHaveLength(4);
  });
});
