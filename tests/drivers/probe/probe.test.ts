import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Cjt188Meter } from "../../../drivers/cjt188/sim/index.js";
import * as dlt from "../../../drivers/dlt645/codec.js";
import { Dlt645Meter } from "../../../drivers/dlt645/sim/index.js";
import { SimulatedModbusMeter } from "../../../drivers/modbus/sim/index.js";
import {
  describeFound,
  formatProgress,
  type ProbeProgress,
  probe,
  probeExitCode,
  probePort,
  renderDevicesYaml,
} from "../../../drivers/probe/index.js";
import { readOneRegister, replyLength } from "../../../drivers/probe/modbus-ping.js";
import { SerialLine } from "../../../drivers/serial/line.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";
import { LINE_9600_8N1, type MeterRig, meterRigs } from "../../helpers/meter-rig.js";
import { loadProfile } from "../../helpers/profiles.js";

const PORT = "/dev/ttySIM-probe";
const dltProfile = loadProfile("generic-dlt645-single-phase", "dlt645");
const modbusProfile = loadProfile("eastron-sdm120", "modbus");
// Probe timeouts run on the rig's virtual clock.
const rigs = meterRigs();

function mixedLine() {
  const modbus = new SimulatedModbusMeter({
    profile: modbusProfile,
    unitId: 3,
    values: () => ({ voltage_v: 230 }),
  });
  const dlt = new Dlt645Meter({
    address: "210987654321",
    identifiers: dltProfile.dlt645.identifiers,
    values: () => ({}),
  });
  const water = new Cjt188Meter({ address: "78330011223344", values: () => ({ water_total_m3: 1 }) });
  const rig = rigs({ line: { chunkSize: 5 } });
  const sim = rig.line.addPort(PORT, modbus, dlt, water);
  return { rig, sim, modbus, dlt, water };
}

/** A line of its own (no pool: the probe holds a port no driver has), open and stopped after the test. */
async function openLine(rig: MeterRig) {
  const line = new SerialLine({ path: PORT, settings: LINE_9600_8N1, binding: rig.line, clock: rig.clock });
  rig.after(() => rig.run(line.stop()));
  line.start();
  await rig.until("line open", () => line.isOpen);
  return line;
}

describe("Modbus ping frames", () => {
  it("is the well-known 'read holding register 0' request (01 03 00 00 00 01 84 0A)", () => {
    expect(readOneRegister(1)).toEqual(Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0a]));
  });

  it("frames normal and exception replies and refuses other units and bad CRCs", () => {
    // Exception 02 from unit 1: 01 83 02 C0 F1 (CRC of the Modbus spec's example frame family).
    const exc = Buffer.from([0x01, 0x83, 0x02, 0xc0, 0xf1]);
    expect(replyLength(1)(exc)).toBe(5);
    expect(replyLength(2)(exc)).toBe(-1);
    const bad = Buffer.from(exc);
    bad[4] = 0x00;
    expect(replyLength(1)(bad)).toBe(-1);
    expect(replyLength(1)(exc.subarray(0, 3))).toBe(0);
  });
});

describe("probe", () => {
  it("finds a Modbus, a DL/T 645 and a CJ/T 188 meter on one line, reporting progress", async () => {
    const { rig } = mixedLine();
    const line = await openLine(rig);
    const progress: ProbeProgress[] = [];
    const r = await rig.run(
      probe(line, {
        protocol: "auto",
        ids: [1, 2, 3, 4],
        timeoutMs: 60,
        onProgress: (p) => progress.push(p),
      }),
    );
    expect(r.found).toEqual([
      { protocol: "dlt645", address: "210987654321", edition: 2007 },
      { protocol: "cjt188", address: "78330011223344", meterType: 0x10 },
      // The SDM120 keeps its values in input registers: holding register 0 is refused, which still proves it is there.
      { protocol: "modbus", unitId: 3, exception: 2 },
    ]);
    expect(r.warnings).toEqual([]);
    // 2 DL/T 645 (2007 read address, 1997 meter number) + 2 CJ/T 188 (the second skipped once found) + 4 Modbus ids
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(progress.at(-1)).toMatchObject({ total: 8, found: 3 });
    expect(formatProgress(progress[5] as ProbeProgress)).toBe("[6/8] Modbus unit 2 … 2 found");
    expect(r.found.map(describeFound)).toEqual([
      "DL/T 645-2007 meter 210987654321",
      "CJ/T 188 meter 78330011223344 (type 10)",
      "Modbus unit 3 (answered with exception 2)",
    ]);
  });

  it("finds a DL/T 645-1997 meter by its meter number at AA..AA, beside a 2007 meter whose refusal of that frame is skipped", async () => {
    const { rig, sim } = mixedLine();
    const p1997 = loadProfile("generic-dlt645-1997-single-phase", "dlt645");
    const old = new Dlt645Meter({
      edition: 1997,
      address: "000000970001",
      identifiers: p1997.dlt645.identifiers,
      values: () => ({}),
    });
    sim.attach(PORT, old);
    const line = await openLine(rig);
    const r = await rig.run(probe(line, { protocol: "dlt645", timeoutMs: 60 }));
    expect(r.found).toEqual([
      { protocol: "dlt645", address: "210987654321", edition: 2007 },
      { protocol: "dlt645", address: "000000970001", edition: 1997 },
    ]);
    expect(r.warnings).toEqual([]);
    // The 1997 meter ignored the 2007 read address at AA..AA and answered the meter-number read.
    expect(old.seen).toMatchObject({ readAddress: 1, other: 1 });
    expect(parse(renderDevicesYaml([r]))).toMatchObject({
      devices: [
        { id: "electricity-1", profile: "generic-dlt645-single-phase", address: "210987654321" },
        { id: "electricity-2", profile: "generic-dlt645-1997-single-phase", address: "000000970001" },
      ],
    });
  });

  it("a meter heard only refusing the 1997 frame is named in a warning, not taken for a 1997 meter", async () => {
    const rig = rigs();
    // As a 2007 meter whose read-address reply was lost: only its C1H refusal of the 1997 frame is heard.
    const refusesOnly = {
      respond(request: Buffer) {
        const f = dlt.decodeFrame(request);
        if (f.control !== 0x01) return undefined;
        return { data: dlt.encodeFrame({ address: "000000200701", control: 0xc1, data: Buffer.from([1]) }) };
      },
    };
    rig.line.addPort(PORT, refusesOnly);
    const line = await openLine(rig);
    const r = await rig.run(probe(line, { protocol: "dlt645", timeoutMs: 60 }));
    expect(r.found).toEqual([]);
    expect(r.warnings).toEqual([
      "DL/T 645: meter 000000200701 refused the 1997 meter-number read, as a 2007 meter does, but did not answer the 2007 read address in time; probe again with a longer --timeout",
    ]);
  });

  it("the start of a found 2007 meter's refusal, cut short by the timeout, is no warning", async () => {
    const rig = rigs();
    const address = "000000200702";
    const cutShort = {
      respond(request: Buffer) {
        const f = dlt.decodeFrame(request);
        if (f.control === 0x13) return { data: dlt.addressReply(address) };
        if (f.control !== 0x01) return undefined;
        // FE FE 68 and four of the six address bytes: the rest never arrives within the timeout.
        return { data: dlt.encodeFrame({ address, control: 0xc1, data: Buffer.from([1]) }).subarray(0, 7) };
      },
    };
    rig.line.addPort(PORT, cutShort);
    const line = await openLine(rig);
    const r = await rig.run(probe(line, { protocol: "dlt645", timeoutMs: 60 }));
    expect(r.found).toEqual([{ protocol: "dlt645", address, edition: 2007 }]);
    expect(r.warnings).toEqual([]);
  });

  it("counts a Modbus exception as a device", async () => {
    const { rig, modbus } = mixedLine();
    modbus.fault = "exception";
    const line = await openLine(rig);
    const r = await rig.run(probe(line, { protocol: "modbus", ids: [3], timeoutMs: 60 }));
    expect(r.found).toEqual([{ protocol: "modbus", unitId: 3, exception: 4 }]);
  });

  it("finds nothing on a silent line and says so with an empty snippet", async () => {
    const rig = rigs();
    rig.line.addPort(PORT);
    const line = await openLine(rig);
    const r = await rig.run(probe(line, { protocol: "auto", ids: [1], timeoutMs: 30 }));
    expect(r.found).toEqual([]);
    expect(renderDevicesYaml([r])).toBe("devices: []\n");
    expect(probeExitCode([r])).toBe(3);
  });

  it("warns when a read-address reply cannot be decoded", async () => {
    const { rig, dlt } = mixedLine();
    dlt.fault = "bad-checksum";
    const line = await openLine(rig);
    const r = await rig.run(probe(line, { protocol: "dlt645", timeoutMs: 60 }));
    expect(r.found).toEqual([]);
    expect(r.warnings[0]).toMatch(/^DL\/T 645-2007: unreadable reply to read address \(.*checksum/);
  });

  it("refuses unit ids outside 1..247", async () => {
    const rig = rigs();
    rig.line.addPort(PORT);
    const line = await openLine(rig);
    await expect(rig.run(probe(line, { protocol: "modbus", ids: [0] }))).rejects.toMatchObject({
      code: ErrorCode.Usage,
    });
  });
});

describe("probePort", () => {
  it("probes each protocol at its usual settings and renders a devices snippet the config can take", async () => {
    const { rig, sim } = mixedLine();
    const progress: ProbeProgress[] = [];
    const results = await rig.run(
      probePort({
        path: PORT,
        binding: sim,
        clock: rig.clock,
        protocol: "auto",
        ids: [3],
        timeoutMs: 60,
        onProgress: (p) => progress.push(p),
      }),
    );
    expect(results.map((r) => [r.settings.baud, r.settings.parity, r.found.map((f) => f.protocol)])).toEqual([
      [2400, "even", ["dlt645"]],
      [2400, "even", ["cjt188"]],
      [9600, "none", ["modbus"]],
    ]);
    expect(progress.map((p) => `${p.step}/${p.total}`)).toEqual(["1/5", "2/5", "3/5", "4/5", "5/5"]);
    const yaml = renderDevicesYaml(results, { takenIds: ["water-1"] });
    expect(parse(yaml)).toEqual({
      devices: [
        {
          id: "electricity-1",
          profile: "generic-dlt645-single-phase",
          port: PORT,
          baud: 2400,
          address: "210987654321",
        },
        {
          id: "water-2",
          profile: "generic-cjt188-cold-water",
          port: PORT,
          baud: 2400,
          address: "78330011223344",
        },
        { id: "meter-1", profile: "CHOOSE-A-PROFILE", port: PORT, baud: 9600, unit_id: 3 },
      ],
    });
    expect(yaml).toContain("# the meter's model");
    expect(sim.isPortOpen(PORT)).toBe(false);
    expect(probeExitCode(results)).toBe(0);
  });

  it("fails with PortOpen when the port does not exist", async () => {
    const rig = rigs();
    const err = await rig
      .run(
        probePort({
          path: "/dev/ttyNOPE",
          binding: rig.line,
          clock: rig.clock,
          protocol: "dlt645",
          openTimeoutMs: 200,
        }),
      )
      .catch((e: unknown) => e);
    expect(isHearthError(err, ErrorCode.PortOpen)).toBe(true);
    expect((err as Error).message).toContain("/dev/ttyNOPE");
  });
});
