import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/core/paths.js";
import { waitFor } from "../helpers/wait.js";

const root = packageRoot();
const MAIN = join(root, "dist/src/cli/main.js");
const dir = mkdtempSync(join(tmpdir(), "hearth-run-loads-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A module-resolution hook that writes every module the process loads through `import` (static or
 * dynamic, ours and packages') to the file named by HEARTH_LOADED, one URL a line.
 */
const HOOKS = `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.HEARTH_LOADED, r.url + "\\n");
  return r;
}
`;
writeFileSync(join(dir, "hooks.mjs"), HOOKS);
writeFileSync(
  join(dir, "register.mjs"),
  `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});\n`,
);
const REGISTER = join(dir, "register.mjs");

/** What must never load with `hearth run`: the demo's broker, the tools' progress bar, any simulator. */
const DEMO_OR_TOOL = /\/node_modules\/(aedes|cli-progress)\/|\/dist\/src\/(sim|broker)\/|\/sim\//;

/**
 * What the agent's own process never loads (issue 14, footprint): the YAML parser, the config loader and
 * the profile catalogue (a child process checks the config), and MQTT.js's entry point, which loads
 * every transport it knows (the agent takes its TCP and TLS client alone).
 */
const CONFIG_TIME =
  /\/node_modules\/yaml\/|\/node_modules\/mqtt\/build\/index\.js$|\/dist\/src\/(profiles\/catalogue|config\/load)\.js$/;

/**
 * zod and the modules built on it (the contract's schemas, the profile and config schemas): a home of
 * meters and a button checks what it writes in plain code (src/contract/shape.ts) and loads the command
 * schemas only when a command arrives (issue 14, footprint).
 */
const ZOD =
  /\/node_modules\/zod\/|\/dist\/src\/(contract\/(messages|field-commands)|profiles\/(common|modbus|dlt645|cjt188|bthome|schema)|config\/[a-z-]*schema)\.js$/;

const loaded = (file: string) => readFileSync(file, "utf8").trim().split("\n");

describe("what `hearth run` loads", () => {
  it("the agent and its drivers (three serial meters and a button), but not zod, the demo's broker (aedes), the progress bar (cli-progress) or a simulator", async () => {
    const stateDir = mkdtempSync(join(dir, "state-"));
    const config = join(dir, "home.yaml");
    // The three serial meter protocols and a button, so that their drivers load too; nothing answers on
    // the serial port or the broker's port.
    writeFileSync(
      config,
      `version: 1
home: { id: h1, timezone: Asia/Shanghai }
state_dir: ${stateDir}
cloud: { brokers: [ { url: "mqtt://127.0.0.1:9" } ] }
devices:
  - { id: meter-1, profile: eastron-sdm120, port: /dev/ttyHEARTHNONE0, unit_id: 1, baud: 2400, parity: even }
  - { id: meter-2, profile: generic-dlt645-single-phase, port: /dev/ttyHEARTHNONE0, address: "000012345678" }
  - { id: water-1, profile: generic-cjt188-cold-water, port: /dev/ttyHEARTHNONE0, address: "00000805000001" }
  - { id: button-1, profile: shelly-blu-button1, mac: "AA:BB:CC:DD:EE:FF", insecure: true }
detection: { gateway_power: "off" }
`,
      { mode: 0o600 },
    );
    const record = join(dir, "run.txt");
    writeFileSync(record, "");
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", REGISTER, MAIN, "run", "--config", config],
      {
        env: { ...process.env, HEARTH_LOADED: record, HEARTH_LOG_LEVEL: "info", NOTIFY_SOCKET: "" },
        stdio: "pipe",
      },
    );
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      await waitFor("the agent to start", () => stderr.includes('"msg":"Agent started"'), {
        timeoutMs: 45_000,
        detail: () => stderr.slice(-2000),
      });
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);

    const files = loaded(record);
    for (const part of [
      "dist/src/agent/agent.js",
      "dist/src/agent/meters.js",
      "dist/src/agent/bthome.js",
      "dist/drivers/modbus/values.js",
      "dist/drivers/dlt645/codec.js",
      "dist/drivers/cjt188/driver.js",
      "dist/src/outbox/write.js",
      "dist/src/uplink/envelopes.js",
    ])
      expect(
        files.some((f) => f.endsWith(part)),
        part,
      ).toBe(true);
    expect(files.filter((f) => ZOD.test(f))).toEqual([]);
    expect(files.filter((f) => DEMO_OR_TOOL.test(f))).toEqual([]);
    expect(files.filter((f) => CONFIG_TIME.test(f))).toEqual([]);
    // Not under systemd (no NOTIFY_SOCKET): the notify and watchdog code stays unloaded.
    expect(files.filter((f) => f.includes("/dist/src/service/"))).toEqual([]);
    // No health monitor in this home: the GATT driver and its codecs stay unloaded.
    expect(files.filter((f) => /\/(drivers|agent)\/gatt-health[./]/.test(f))).toEqual([]);
  }, 60_000);

  it("the check can fail: the demo's modules do load aedes", () => {
    const record = join(dir, "demo.txt");
    writeFileSync(record, "");
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        REGISTER,
        "--input-type=module",
        "-e",
        `await import(${JSON.stringify(pathToFileURL(join(root, "dist/src/sim/demo.js")).href)});`,
      ],
      { env: { ...process.env, HEARTH_LOADED: record }, encoding: "utf8", timeout: 30_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const files = loaded(record);
    expect(files.some((f) => f.includes("/node_modules/aedes/"))).toBe(true);
    expect(files.some((f) => DEMO_OR_TOOL.test(f))).toBe(true);
    // The demo checks its config in-process: what `hearth run` leaves to its child shows up here.
    expect(files.some((f) => CONFIG_TIME.test(f))).toBe(true);
    expect(files.some((f) => f.includes("/node_modules/zod/"))).toBe(true);
    expect(files.some((f) => f.endsWith("/dist/src/contract/messages.js"))).toBe(true);
  });
});
