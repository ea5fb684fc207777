import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { autoDetect } from "@serialport/bindings-cpp";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Cjt188Meter } from "../../drivers/cjt188/sim/index.js";
import { Dlt645Meter } from "../../drivers/dlt645/sim/index.js";
import { SimulatedModbusMeter } from "../../drivers/modbus/sim/index.js";
import { type SimulatedDevice, servePort } from "../../drivers/serial/sim/index.js";
import { parseConfig } from "../../src/config/load.js";
import { formatProblem } from "../../src/core/yaml-validate.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import type { Dlt645Profile } from "../../src/profiles/dlt645.js";
import type { ModbusProfile } from "../../src/profiles/modbus.js";
import { HEARTH_MAIN, hearth, type Ran, startProgram } from "../helpers/cli.js";
import { devLinkDir, startPtyPair } from "../helpers/socat.js";
import { haveTool, requireTool } from "../helpers/tools.js";

/*
 * `hearth probe` as the installer runs it (node dist/src/cli/main.js), against simulators served on the
 * far end of a socat pseudo-terminal. The command runs as a child process while this process serves the
 * meters, so it is spawned asynchronously. A meter must answer within `--timeout`, and this process is
 * the meter: on a loaded machine (a full run at load average 12) a 150 ms timeout was once missed, so
 * where a meter must be found the timeouts leave several hundred milliseconds of room.
 */

const socat = requireTool("socat", haveTool("socat", ["-V"]), "apt-get install socat");
const haveScript = requireTool("script", haveTool("script", ["--version"]), "apt-get install bsdutils");
const binding = autoDetect();
const catalogue = loadCatalogue();

/** The config takes serial paths under /dev only, so the pty links live in a fresh directory there. */
const { dir, usable: devWritable } = devLinkDir();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function run(command: string, args: string[]): Promise<Ran> {
  return startProgram(command, args).done;
}

const LINE = { baud: 2400, data_bits: 8, parity: "even", stop_bits: 1 } as const;
const DLT_ADDRESS = "000012345678";
const CJT_ADDRESS = "00000805000001";
const DLT97_ADDRESS = "000000970001";

const sims = {
  modbus: () =>
    new SimulatedModbusMeter({
      profile: catalogue.profiles.get("eastron-sdm120") as ModbusProfile,
      unitId: 5,
      values: () => ({ voltage_v: 230, power_w: 100, energy_total_kwh: 10 }),
    }),
  dlt645: () =>
    new Dlt645Meter({
      address: DLT_ADDRESS,
      identifiers: (catalogue.profiles.get("generic-dlt645-single-phase") as Dlt645Profile).dlt645
        .identifiers,
      values: () => ({ energy_total_kwh: 1 }),
    }),
  cjt188: () => new Cjt188Meter({ address: CJT_ADDRESS, values: () => ({ water_total_m3: 1 }) }),
  dlt645of1997: () =>
    new Dlt645Meter({
      edition: 1997,
      address: DLT97_ADDRESS,
      identifiers: (catalogue.profiles.get("generic-dlt645-1997-single-phase") as Dlt645Profile).dlt645
        .identifiers,
      values: () => ({ energy_total_kwh: 2 }),
    }),
};

let n = 0;
/** A fresh pty pair; `devices` are served on its far end. Returns the end the probe opens. */
async function line(...devices: SimulatedDevice[]): Promise<string> {
  n++;
  const dev = join(dir as string, `gw${n}`);
  const pty = await startPtyPair(dev, join(dir as string, `meters${n}`));
  cleanups.push(() => pty.kill());
  const served = await servePort({ binding, path: pty.b, settings: LINE, devices, idleMs: 8 });
  cleanups.push(() => served.close());
  return dev;
}

interface Entry {
  id: string;
  profile: string;
  port: string;
  baud: number;
  parity?: string;
  unit_id?: number;
  address?: string;
}

/** The snippet's entries, put in a whole config and validated as the agent would (parseConfig). */
function validate(entries: Entry[]): void {
  const yaml = `version: 1
home: { id: probe-home, timezone: Asia/Shanghai }
state_dir: /tmp/hearth-probe-test
cloud:
  brokers:
    - url: mqtt://127.0.0.1:1883
devices: ${JSON.stringify(entries)}
`;
  const parsed = parseConfig(yaml, "probe-home.yaml", catalogue.profiles);
  expect(parsed.ok ? [] : parsed.problems.map(formatProblem)).toEqual([]);
}

/** Modbus entries carry a placeholder the installer must replace; the test picks the simulated model. */
function chooseModbusProfile(entries: Entry[]): Entry[] {
  return entries.map((e) => (e.profile === "CHOOSE-A-PROFILE" ? { ...e, profile: "eastron-sdm120" } : e));
}

describe.skipIf(!(socat && devWritable))("hearth probe on a socat pseudo-terminal", () => {
  it("finds a Modbus meter: exit 0, a snippet whose placeholder profile is explained and, once chosen, validates", async () => {
    const dev = await line(sims.modbus());
    const r = await hearth(["probe", dev, "--protocol", "modbus", "--ids", "1-8", "--timeout", "600ms"]);
    // The probe asks for holding register 0; the SDM120 keeps its values in input registers and says
    // so with exception 2 (illegal data address). Any reply means a device is there.
    expect(r.stderr).toContain(`found Modbus unit 5 (answered with exception 2) on ${dev}`);
    expect(r.code).toBe(0);
    const doc = parse(r.stdout) as { devices: Entry[] };
    expect(doc.devices).toEqual([
      { id: "meter-1", profile: "CHOOSE-A-PROFILE", port: dev, baud: 9600, unit_id: 5 },
    ]);
    // The placeholder says what to put there, on its own line.
    expect(r.stdout).toMatch(
      /profile: CHOOSE-A-PROFILE # the meter's model: a file name from device-profiles\//,
    );
    // As printed, the config check refuses it (and suggests nothing silently).
    const asIs = parseConfig(
      `version: 1\nhome: { id: h, timezone: Asia/Shanghai }\nstate_dir: /tmp/x\ncloud: { brokers: [{ url: "mqtt://127.0.0.1:1883" }] }\ndevices: ${JSON.stringify(doc.devices)}\n`,
      "h.yaml",
      catalogue.profiles,
    );
    expect(asIs.ok).toBe(false);
    validate(chooseModbusProfile(doc.devices));
  });

  it("finds a DL/T 645 meter by its address; the snippet validates as it is", async () => {
    const dev = await line(sims.dlt645());
    const r = await hearth(["probe", dev, "--protocol", "dlt645", "--timeout", "800ms"]);
    expect(r.code).toBe(0);
    // stderr is a pipe here, not a terminal: no progress bar, only what was found.
    expect(r.stderr).toBe(`found DL/T 645-2007 meter ${DLT_ADDRESS} on ${dev}\n`);
    const doc = parse(r.stdout) as { devices: Entry[] };
    expect(doc.devices).toEqual([
      {
        id: "electricity-1",
        profile: "generic-dlt645-single-phase",
        port: dev,
        baud: 2400,
        address: DLT_ADDRESS,
      },
    ]);
    // Quoted: the leading zeros are part of the address.
    expect(r.stdout).toContain(`address: "${DLT_ADDRESS}"`);
    validate(doc.devices);
  });

  it("--protocol auto finds a DL/T 645-1997 and a DL/T 645-2007 meter on one line; the snippet validates as it is", async () => {
    const dev = await line(sims.dlt645(), sims.dlt645of1997());
    const r = await hearth(["probe", dev, "--protocol", "auto", "--ids", "1", "--timeout", "800ms"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `found DL/T 645-2007 meter ${DLT_ADDRESS} on ${dev}\nfound DL/T 645-1997 meter ${DLT97_ADDRESS} on ${dev}\n`,
    );
    const doc = parse(r.stdout) as { devices: Entry[] };
    expect(doc.devices).toEqual([
      {
        id: "electricity-1",
        profile: "generic-dlt645-single-phase",
        port: dev,
        baud: 2400,
        address: DLT_ADDRESS,
      },
      {
        id: "electricity-2",
        profile: "generic-dlt645-1997-single-phase",
        port: dev,
        baud: 2400,
        address: DLT97_ADDRESS,
      },
    ]);
    validate(doc.devices);
  });

  it("finds a CJ/T 188 water meter by its address; the snippet validates as it is", async () => {
    const dev = await line(sims.cjt188());
    const r = await hearth(["probe", dev, "--protocol", "cjt188", "--timeout", "800ms"]);
    expect(r.code).toBe(0);
    const doc = parse(r.stdout) as { devices: Entry[] };
    expect(doc.devices).toEqual([
      { id: "water-1", profile: "generic-cjt188-cold-water", port: dev, baud: 2400, address: CJT_ADDRESS },
    ]);
    validate(doc.devices);
  });

  it("a line with all three at one setting (--baud 2400 --parity even): one snippet for the line that validates", async () => {
    const dev = await line(sims.modbus(), sims.dlt645(), sims.cjt188());
    const r = await hearth([
      "probe",
      dev,
      "--baud",
      "2400",
      "--parity",
      "even",
      "--ids",
      "1-8",
      "--timeout",
      "600ms",
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("warning");
    const doc = parse(r.stdout) as { devices: Entry[] };
    expect(doc.devices).toEqual([
      {
        id: "electricity-1",
        profile: "generic-dlt645-single-phase",
        port: dev,
        baud: 2400,
        address: DLT_ADDRESS,
      },
      { id: "water-1", profile: "generic-cjt188-cold-water", port: dev, baud: 2400, address: CJT_ADDRESS },
      { id: "meter-1", profile: "CHOOSE-A-PROFILE", port: dev, baud: 2400, parity: "even", unit_id: 5 },
    ]);
    validate(chooseModbusProfile(doc.devices));
  });

  it("auto at each protocol's usual setting: devices heard at two settings on one line are flagged on stderr and in the snippet", async () => {
    // A pty carries any setting, so each protocol is heard at its own usual one: a mixed-up line.
    const dev = await line(sims.modbus(), sims.dlt645());
    const r = await hearth(["probe", dev, "--ids", "5", "--timeout", "900ms"]);
    expect(r.code).toBe(0);
    const warning =
      /devices on \S+ answered at different serial settings \(DL\/T 645-2007 meter 000012345678 at 2400 8E1; Modbus unit 5 \(answered with exception 2\) at 9600 8N1\); one RS-485 line has one setting/;
    expect(r.stderr).toMatch(warning);
    expect(r.stdout).toMatch(new RegExp(`^# warning: ${warning.source}`));
    const doc = parse(r.stdout) as { devices: Entry[] };
    expect(doc.devices.map((d) => [d.id, d.baud])).toEqual([
      ["electricity-1", 2400],
      ["meter-1", 9600],
    ]);
    // The config check would refuse it too: one line, one setting.
    const parsed = parseConfig(
      `version: 1\nhome: { id: h, timezone: Asia/Shanghai }\nstate_dir: /tmp/x\ncloud: { brokers: [{ url: "mqtt://127.0.0.1:1883" }] }\ndevices: ${JSON.stringify(chooseModbusProfile(doc.devices))}\n`,
      "h.yaml",
      catalogue.profiles,
    );
    expect(parsed.ok ? [] : parsed.problems.map(formatProblem).join("\n")).toMatch(
      /one RS-485 line has one setting/,
    );
  });

  it.runIf(haveScript)("on a terminal: a progress bar on stderr, and stdout stays the YAML", async () => {
    const dev = await line(sims.dlt645());
    const out = join(mkdtempSync(join(tmpdir(), "hearth-probe-")), "devices.yaml");
    cleanups.push(async () => rmSync(dirname(out), { recursive: true, force: true }));
    // script(1) gives the command a pseudo-terminal; stdout goes to a file, stderr stays on the terminal.
    const cmd = `${process.execPath} ${HEARTH_MAIN} probe ${dev} --protocol dlt645 --timeout 800ms > ${out}`;
    const r = await run("script", ["-qfec", cmd, "/dev/null"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/probing .*1\/2 DL\/T 645-2007 read address \| found 1/);
    expect(r.stdout).toMatch(/probing .*2\/2 DL\/T 645-1997 read meter number \| found 1/);
    expect(r.stdout).toContain(`found DL/T 645-2007 meter ${DLT_ADDRESS}`);
    const doc = parse(readFileSync(out, "utf8")) as { devices: Entry[] };
    expect(doc.devices.map((d) => d.address)).toEqual([DLT_ADDRESS]);
  });

  it("an empty line: exit 3, nothing on stdout, and says nothing answered", async () => {
    const dev = await line();
    const r = await hearth(["probe", dev, "--ids", "1-3", "--timeout", "50ms"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`no meter answered on ${dev}`);
  });

  it("a port that does not exist: exit 1, naming the port", async () => {
    const missing = join(dir as string, "ttyNOPE");
    const r = await hearth(["probe", missing, "--protocol", "dlt645"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/hearth probe: cannot open the port: .*ttyNOPE/);
  });
});

describe("hearth probe: bad options exit 2 before touching any port", () => {
  const cases: [string, string[], RegExp][] = [
    ["unknown protocol", ["--protocol", "bacnet"], /--protocol must be one of auto, modbus, dlt645, cjt188/],
    ["ids out of range", ["--ids", "0-300"], /unit ids are 1\.\.247/],
    ["ids not a list", ["--ids", "all"], /expected numbers and ranges/],
    ["timeout not a duration", ["--timeout", "soon"], /--timeout "soon"/],
    ["baud not a number", ["--baud", "fast"], /--baud "fast" is not a baud rate/],
    ["unknown parity", ["--parity", "mark"], /--parity must be none, even or odd/],
    ["unknown option", ["--frobnicate"], /unknown option '--frobnicate'/],
  ];
  it.each(cases)("%s", async (_name, args, message) => {
    // The port does not exist: were options checked after opening, the exit would be 1.
    const r = await hearth(["probe", "/dev/hearth-no-such-port", ...args]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
  });
});
