import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../../src/agent/agent.js";
import { commissionFinish } from "../../src/cli/commission-finish.js";
import type { CommissioningReport } from "../../src/cli/commission-report.js";
import { loadConfigFile } from "../../src/config/load.js";
import { SystemClock } from "../../src/core/clock.js";
import { randomIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { runDoctor } from "../../src/doctor/doctor.js";
import type { DoctorProbes } from "../../src/doctor/probes.js";
import { realProbes } from "../../src/doctor/real-probes.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { startAedes, type TestBroker } from "../helpers/brokers.js";
import { hearth } from "../helpers/cli.js";
import { BUTTON_KEY, BUTTON_MAC, simDevices } from "../helpers/sim-home.js";
import { waitFor } from "../helpers/wait.js";
import { receiverOptions, sqliteStoreFactory, startReceiver, type TestReceiver } from "../receiver/rig.js";

const SNIPPETS = {
  meter:
    "devices:\n  - id: meter-1\n    profile: eastron-sdm120\n    port: /dev/ttySIM0\n    unit_id: 1\n    baud: 9600\n    poll: 1s\n",
  button: `devices:\n  - id: button-1\n    profile: shelly-blu-button1\n    mac: "${BUTTON_MAC}"\n    key: ${BUTTON_KEY}\n`,
};

describe("the installer's visit, end to end (the demo's embedded broker, receiver and simulated devices)", () => {
  let broker: TestBroker;
  let receiver: TestReceiver;
  const sqlite = sqliteStoreFactory();
  beforeAll(async () => {
    broker = await startAedes();
    receiver = await startReceiver(
      receiverOptions(broker.url, { single: true, mqttVersion: 4, ackBy: "care-centre" }),
      sqlite.make(),
    );
  });
  afterAll(async () => {
    await receiver?.stop();
    await broker?.close();
    sqlite.cleanup();
  });

  it("provision → doctor → commission start → announced test press → commission finish: the report, and the cloud's record of it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-visit-"));
    const config = join(dir, "etc", "home.yaml");
    const stateDir = join(dir, "state");
    writeFileSync(join(dir, "meter.yaml"), SNIPPETS.meter);
    writeFileSync(join(dir, "button.yaml"), SNIPPETS.button);
    // 1. provision, from flags, trying the broker.
    const prov = await hearth([
      "provision",
      "--config",
      config,
      "--home",
      "home-visit",
      "--timezone",
      "Europe/Berlin",
      "--broker",
      broker.url,
      "--mqtt-version",
      "3.1.1",
      "--cloud-key",
      join(import.meta.dirname, "../fixtures/keys/test-cloud.pub.pem"),
      "--snippet",
      join(dir, "meter.yaml"),
      "--snippet",
      join(dir, "button.yaml"),
      "--state-dir",
      stateDir,
      "--user",
      "daemon",
      "--group",
      "users",
    ]);
    expect(prov.code, prov.stderr).toBe(0);

    // The agent, on the provisioned config, with the simulated meter and button for hardware.
    const cat = loadCatalogue();
    const loaded = loadConfigFile(config, cat.profiles);
    if (!loaded.ok) throw new Error("provisioned config invalid");
    const sim = simDevices(cat.profiles);
    const clock = new SystemClock();
    const agent = new Agent({
      config: loaded.value,
      profiles: cat.profiles,
      host: {
        clock,
        netClock: clock,
        ids: randomIds,
        log: silentLogger(),
        version: "visit-test",
        powerSupplyDir: null,
        ...sim.host,
      },
    });
    // The machine around the agent: the serial port as a udev rule makes it, no systemd here.
    const port = join(dir, "ttySIM0");
    writeFileSync(port, "");
    chownSync(port, 0, 20);
    chmodSync(port, 0o660);
    const real = realProbes();
    const probes: DoctorProbes = {
      ...real,
      stat: (p) => real.stat(p === "/dev/ttySIM0" ? port : p),
      user: (name) => (name === "hearth" ? { name, uid: 1, gids: [1, 100, 20] } : undefined),
      systemd: () => ({ available: false, why: "no systemd in the test" }),
      clock: () => ({ source: "timedatectl", synced: true, detail: "NTPSynchronized=yes" }),
      ble: () => ({ present: true, powered: true }),
    };
    try {
      await agent.start();
      await waitFor(
        "the meter's first reading",
        () => Object.keys(agent.pipeline.devices()["meter-1"]?.last ?? {}).length > 0,
      );

      // 2. doctor: the button has not been heard yet (nobody pressed it), everything else passes.
      const doc = await runDoctor(
        { config, profiles: cat.profiles, catalogueProblems: cat.problems },
        probes,
      );
      expect(doc.checks.filter((c) => c.status === "fail").map((c) => c.id)).toEqual([
        "ble:hci0",
        "device:button-1",
      ]);
      expect(doc.checks.find((c) => c.id === "service")?.status).toBe("ok");

      // 3. commission start, 4. an announced test press: a test at the cloud, not a call.
      expect((await hearth(["commission", "start", "--state-dir", stateDir, "--by", "Ana"])).code).toBe(0);
      expect((await hearth(["commission", "expect-press", "--state-dir", stateDir])).code).toBe(0);
      sim.devices.button().press("press");
      await waitFor("the test press at the receiver", () =>
        receiver.lines.some(
          (l) => l.decision === "alert_stored" && l.kind === "test" && l.home === "home-visit",
        ),
      );
      expect(receiver.lines.some((l) => l.decision === "alert_stored" && l.kind === "call")).toBe(false);

      // 5. commission finish: doctor, the press (with its signal), the devices, the test alert's ack.
      const prefix = join(dir, "report");
      await commissionFinish(
        { config, by: "Ana", report: prefix, within: "20s", timeout: "20s" },
        {
          probes,
          say: (t) => {
            if (t.startsWith("Press the call button"))
              setTimeout(() => sim.devices.button().press("press"), 50);
          },
        },
      );
      const report = JSON.parse(readFileSync(`${prefix}.json`, "utf8")) as CommissioningReport;
      expect(report).toMatchObject({ ok: true, home: "home-visit", installer: "Ana", version: "visit-test" });
      expect(report.round_trip_ms).toBeGreaterThan(0);
      expect(report.devices.find((d) => d.id === "button-1")?.signal).toEqual({ rssi_dbm: -67 });
      expect(report.devices.find((d) => d.id === "meter-1")?.last.power_w?.value).toBeCloseTo(35, 3);
      expect(report.checks.find((c) => c.id === "press")?.detail).toBe(
        "arrived from button-1 as a test alert, signal -67 dBm",
      );
      expect(report.checks.find((c) => c.id === "test-alert")?.status).toBe("ok");
      expect(readFileSync(`${prefix}.txt`, "utf8")).toMatch(/^Hearth commissioning report — PASSED\n/);
      expect(existsSync(`${prefix}.txt`)).toBe(true);

      // The cloud's side: the report and the end of the mode, as the receiver's decisions.
      await waitFor("the report at the receiver", () =>
        receiver.lines.some((l) => l.decision === "commissioning" && l.event === "commissioning_report"),
      );
      const got = receiver.lines.find((l) => l.event === "commissioning_report") as unknown as {
        data: CommissioningReport;
      };
      expect(got.data).toMatchObject({ home: "home-visit", installer: "Ana", ok: true });
      // …and kept in the store, in the home's file, for the care service's records.
      const kept = await receiver.store.commissioningReports("home-visit");
      expect(kept).toHaveLength(1);
      expect(kept[0]?.report).toMatchObject({ home: "home-visit", installer: "Ana", ok: true });
      await waitFor("the end of the mode at the receiver", () =>
        receiver.lines.some(
          (l) => l.event === "commissioning_ended" && (l.data as { reason?: string }).reason === "finished",
        ),
      );
      expect(agent.status().commissioning).toBeNull();
    } finally {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
