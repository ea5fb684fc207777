import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subscriptions } from "../../src/receiver/mqtt.js";
import { mosquittoAvailable, startMosquitto, type TestBroker } from "../helpers/brokers.js";
import { HEARTH_MAIN, hearthSync } from "../helpers/cli.js";
import { TEST_CLOUD_KEY_FILE } from "../helpers/commands.js";
import { waitFor } from "../helpers/wait.js";
import { FakeGateway } from "./rig.js";

describe("hearth receiver (the command)", () => {
  it("refuses a config that cannot work, naming the key (exit 2)", () => {
    const r = hearthSync(["receiver", "--broker", "mqtt://127.0.0.1:1", "--ack", "webhook"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("webhook: --ack webhook needs a webhook URL");
    const bind = hearthSync(["receiver", "--broker", "mqtt://127.0.0.1:1", "--http", "0.0.0.0:8480"]);
    expect(bind.code).toBe(2);
    expect(bind.stderr).toContain("needs a token");
    // MQTT 3.1.1 has no shared subscriptions: only one instance alone may use it.
    const v311 = hearthSync(["receiver", "--broker", "mqtt://127.0.0.1:1", "--mqtt-version", "3.1.1"]);
    expect(v311.code).toBe(2);
    expect(v311.stderr).toContain("mqtt_version: MQTT 3.1.1 has no shared subscriptions");
  });

  it("subscribes through the group's shared subscription, or plainly for one instance alone", () => {
    const shared = subscriptions("g1");
    expect(shared).toContain("$share/g1/hearth/v1/+/alert");
    expect(shared).toContain("hearth/v1/+/status");
    const single = subscriptions("g1", true);
    expect(single).toContain("hearth/v1/+/alert");
    expect(single.filter((t) => t.startsWith("$share/"))).toEqual([]);
  });

  describe.skipIf(!mosquittoAvailable())("against Mosquitto", () => {
    let broker: TestBroker;
    let dir: string;
    beforeAll(async () => {
      broker = await startMosquitto();
      dir = mkdtempSync(join(tmpdir(), "hearth-rx-cli-"));
    });
    afterAll(async () => {
      await broker?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("reads its YAML config, writes decisions as JSON lines on stdout and stops on SIGTERM", async () => {
      const config = join(dir, "receiver.yaml");
      writeFileSync(
        config,
        `version: 1\nbrokers: ["${broker.url}"]\ndb: "sqlite:${join(dir, "rx.db")}"\ngroup: cli\nkey_file: ${TEST_CLOUD_KEY_FILE}\n`,
      );
      const child = spawn(process.execPath, [HEARTH_MAIN, "receiver", "--config", config], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, HEARTH_LOG_LEVEL: "info" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      const gw = await FakeGateway.start(broker.url, "home-cli", 1);
      try {
        await waitFor("the receiver to subscribe", () => stderr.includes("Receiver started"), {
          timeoutMs: 30_000,
        });
        await gw.publish(gw.alert("alert-cli-0001", "raised", 1));
        await waitFor("the acknowledged line", () => stdout.includes('"decision":"acknowledged"'), {
          timeoutMs: 30_000,
          detail: () => ({ stdout, stderr }),
        });
        const lines = stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(lines.map((l) => l.decision)).toEqual(["alert_stored", "acknowledged"]);
        expect(lines[0]).toMatchObject({
          home: "home-cli",
          alert: "alert-cli-0001",
          kind: "call",
          state: "raised",
        });
        await waitFor("the ack at the gateway", () => gw.commands.length > 0);
        expect(gw.commands[0]?.verified).toBe(true);
      } finally {
        child.kill("SIGTERM");
        await gw.close();
      }
      expect(await exited).toBe(0);
    }, 60_000);
  });
});
