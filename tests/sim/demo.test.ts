import { spawn } from "node:child_process";
import { join } from "node:path";
import mqtt from "mqtt";
import { describe, expect, it } from "vitest";
import { type Envelope, envelope } from "../../src/contract/messages.js";
import { packageRoot } from "../../src/core/paths.js";
import { HOUR_MS, SECOND_MS } from "../../src/core/time.js";

const MAIN = join(packageRoot(), "dist/src/cli/main.js");

describe("npm start (the demo)", () => {
  it("shows a call raised and acknowledged, then an inactivity alert, over MQTT, and exits 0", async () => {
    const child = spawn(process.execPath, [MAIN, "demo"], { stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    const seen: Envelope[] = [];
    const invalid: string[] = [];
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    let client: mqtt.MqttClient | undefined;
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        const m = /^demo: broker (mqtt:\/\/\S+),/.exec(line);
        if (m && !client) {
          // Our own subscriber: the alerts must really travel over MQTT and validate against the contract.
          client = mqtt.connect(m[1] as string, { protocolVersion: 4, reconnectPeriod: 0 });
          client.on("message", (_t, payload) => {
            const r = envelope.safeParse(JSON.parse(payload.toString()));
            if (r.success) seen.push(r.data as Envelope);
            else invalid.push(payload.toString());
          });
          // Gateway topics only: the console cloud's own commands (cmd/+) are not envelopes.
          client.subscribe("hearth/v1/demo-home/+", { qos: 1 });
        }
        nl = buf.indexOf("\n");
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    client?.end(true);
    expect(code, `demo failed:\n${lines.join("\n")}\n${stderr}`).toBe(0);

    // The console cloud's lines, kind and state verbatim.
    const raised = lines.find((l) => / alert call raised device=button-1 /.test(l));
    const acked = lines.find((l) => / alert call acknowledged device=button-1 /.test(l));
    const quiet = lines.find((l) => / alert inactivity raised /.test(l));
    expect(raised).toBeDefined();
    expect(acked).toBeDefined();
    expect(quiet).toBeDefined();
    const idOf = (l: string | undefined) => /alert=(\S+)/.exec(l ?? "")?.[1];
    expect(idOf(acked)).toBe(idOf(raised));
    // The real receiver acknowledged it, with a signed ack; its console's address was printed.
    const ackLine = `receiver: acknowledging call ${idOf(raised)} (by care-centre, signed ack `;
    expect(lines.some((l) => l.startsWith(ackLine))).toBe(true);
    expect(lines.some((l) => /^demo: the receiver's console: http:\/\/127\.0\.0\.1:\d+\/$/.test(l))).toBe(
      true,
    );
    expect(lines.indexOf(raised as string)).toBeLessThan(lines.indexOf(quiet as string));
    // Alerts and events stand out in the terminal.
    expect(raised).toMatch(/^\*\*\* ALERT /);
    expect(lines.some((l) => /^--> event .* event device_online device=button-1 /.test(l))).toBe(true);
    // Telemetry is one line per device per simulated hour, never one per reading.
    const telemetry = lines.filter((l) => / telemetry /.test(l));
    expect(telemetry.length).toBeGreaterThan(0);
    const hourDevice = telemetry.map((l) => {
      const m = /^\s+(\d\d:00-\d\d:00) telemetry (\S+) readings=\d+ /.exec(l);
      expect(m, l).not.toBeNull();
      return `${m?.[1]} ${m?.[2]}`;
    });
    expect(new Set(hourDevice).size).toBe(hourDevice.length);
    // The button beacons until the agent stops: the day does not end with it offline.
    expect(lines.filter((l) => /device_offline/.test(l))).toEqual([]);

    // And what our subscriber received over MQTT.
    expect(invalid).toEqual([]);
    const alerts = seen.filter((e): e is Envelope<"alert"> => e.type === "alert").map((e) => e.body);
    const call = alerts.filter((a) => a.kind === "call");
    expect(call.map((a) => a.state)).toEqual(expect.arrayContaining(["raised", "acknowledged"]));
    expect(new Set(call.map((a) => a.alert)).size).toBe(1);
    const inactivity = alerts.find((a) => a.kind === "inactivity" && a.state === "raised");
    expect(inactivity).toBeDefined();
    const ev = inactivity?.evidence as { silence_s: number; threshold_s: number };
    expect(ev.silence_s).toBeGreaterThanOrEqual(ev.threshold_s);
    expect(ev.threshold_s).toBeGreaterThanOrEqual((4 * HOUR_MS) / SECOND_MS);
    expect(seen.some((e) => e.type === "telemetry")).toBe(true);
  }, 120_000);
});
