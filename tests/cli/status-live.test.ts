import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderStatus } from "../../src/cli/status-view.js";
import { silentLogger } from "../../src/core/log.js";
import { startAedes, type TestBroker } from "../helpers/brokers.js";
import { HEARTH_MAIN, hearth } from "../helpers/cli.js";
import { simHomeAgent } from "../helpers/sim-home.js";
import { haveTool, requireTool } from "../helpers/tools.js";
import { waitFor } from "../helpers/wait.js";

const NOW = Date.parse("2026-12-07T10:00:00Z");

describe("hearth status for a person on site", () => {
  it("renders devices with last reading, age and signal, the uplink, outbox, watch, commissioning and alerts", () => {
    const text = renderStatus(
      {
        home: "home-1",
        version: "1.2.3",
        uptime_s: 7200,
        clock: "synced",
        devices: {
          "meter-1": {
            availability: "online",
            last: { power_w: { value: 35, unit: "W", at: "2026-12-07T09:59:30Z" } },
          },
          "button-1": { availability: "unknown", last: {} },
        },
        drivers: { bthome: { "button-1": { accepted: 2, last_rssi: -71 } } },
        watch: { level: "normal" },
        outbox: { depth: { alert: 1, event: 0, telemetry: 12 } },
        uplink: { connected: false, broker: "mqtts://cloud:8883", attempts: 4, lastError: "ECONNREFUSED" },
        open_alerts: [
          {
            alert: "a-1",
            kind: "call",
            state: "raised",
            device: "button-1",
            since: "2026-12-07T10:59:00+01:00",
          },
        ],
        commissioning: { by: "Ana", until: "2026-12-07T12:00:00+01:00" },
      },
      NOW,
    );
    expect(text).toMatch(
      /^uplink {5}NOT connected \(trying mqtts:\/\/cloud:8883, 4 attempts: ECONNREFUSED\)$/m,
    );
    expect(text).toMatch(/^ {2}meter-1 +online +30 s ago +power_w 35 W$/m);
    expect(text).toMatch(/^ {2}button-1 +unknown +no reading yet +-71 dBm$/m);
    expect(text).toMatch(/^outbox {5}waiting: alert 1, event 0, telemetry 12$/m);
    expect(text).toMatch(/^commission ON by Ana until 2026-12-07T12:00:00\+01:00$/m);
    expect(text).toMatch(/^ {2}call raised button-1 since/m);
  });

  describe("against a running agent", () => {
    let broker: TestBroker;
    beforeAll(async () => {
      broker = await startAedes();
    });
    afterAll(async () => {
      await broker?.close();
    });

    const haveScript = haveTool("script", ["--version"]);
    it.skipIf(!requireTool("script", haveScript, "util-linux script"))(
      "on a terminal the view refreshes in place; piped, the JSON is unchanged",
      async () => {
        const stateDir = mkdtempSync(join(tmpdir(), "hearth-status-live-"));
        const { agent } = simHomeAgent({ brokerUrl: broker.url, stateDir, log: silentLogger() });
        try {
          await agent.start();
          await waitFor(
            "a meter reading",
            () => Object.keys(agent.pipeline.devices()["meter-1"]?.last ?? {}).length > 0,
          );
          const piped = await hearth(["status", "--state-dir", stateDir]);
          expect(JSON.parse(piped.stdout)).toMatchObject({ home: "test-home", commissioning: null });
          const cmd = `${process.execPath} ${HEARTH_MAIN} status --state-dir ${stateDir} --interval 200ms`;
          const child = spawn("script", ["-qfec", cmd, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
          let out = "";
          child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
          });
          await waitFor("three screens", () => out.split("\x1b[H\x1b[2J").length > 3, { timeoutMs: 15_000 });
          child.kill("SIGTERM");
          const screens = out.split("\x1b[H\x1b[2J").slice(1);
          expect(screens[0]).toMatch(/^Hearth test-home {3}version test/);
          expect(screens[0]).toMatch(/meter-1 +online +\d+ s ago +.*power_w 35 W/);
          expect(screens[0]).toMatch(/\(every 200ms; Ctrl-C to leave\)/);
        } finally {
          await agent.stop();
          rmSync(stateDir, { recursive: true, force: true });
        }
      },
    );
  });
});
