import { crc16modbus } from "crc";
import { describe, expect, it } from "vitest";
import { hearthSync } from "../helpers/cli.js";

/*
 * `hearth decode` for the meter protocols, as the installer runs it (node dist/src/cli/main.js).
 * Frames come from public implementations (cited) or are written out by hand below, one commented
 * byte per line, with the checksum computed here (the `crc` package for Modbus, a byte sum for the
 * two Chinese standards), not by our encoders.
 */

const hearth = hearthSync;

interface Decoded {
  protocol: string;
  kind: string;
  fields: Record<string, unknown>;
  values: { name: string; value: number; unit: string }[];
}

function decoded(args: string[]): Decoded {
  const r = hearth(["decode", ...args]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as Decoded;
  // The shape every protocol shares (a Modbus register reply without a profile adds interpretations).
  expect(
    Object.keys(out)
      .filter((k) => k !== "interpretations")
      .sort(),
  ).toEqual(["fields", "kind", "protocol", "values"]);
  for (const v of out.values) expect(Object.keys(v).sort()).toEqual(["name", "unit", "value"]);
  return out;
}

const hex = (bytes: number[]) =>
  Buffer.from(bytes)
    .toString("hex")
    .toUpperCase()
    .replace(/(..)(?!$)/g, "$1 ");
/** Modbus RTU: CRC-16/MODBUS appended low byte first. */
const rtu = (bytes: number[]) => {
  const crc = crc16modbus(Buffer.from(bytes));
  return hex([...bytes, crc & 0xff, crc >> 8]);
};
/** DL/T 645 and CJ/T 188: CS is the sum of the bytes from the 68 start byte, mod 256; then 16. */
const withCs = (bytes: number[]) => {
  const start = bytes.indexOf(0x68);
  const cs = bytes.slice(start).reduce((a, b) => (a + b) & 0xff, 0);
  return hex([...bytes, cs, 0x16]);
};
const f32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeFloatBE(v);
  return [...b];
};

describe("hearth decode dlt645", () => {
  it("a read request (zcx1218029121/go645 protocol_test.go): the identifier named", () => {
    const out = decoded(["dlt645", "68 61 01 00 00 00 00 68 11 04 33 33 34 33 14 16"]);
    expect(out).toEqual({
      protocol: "dlt645",
      kind: "request",
      fields: {
        preamble: 0,
        address: "000000000161",
        control: "0x11",
        edition: "2007",
        function: "read data",
        direction: "master → meter",
        length: 4,
        data: "00000100",
        di: "00010000",
        di_name: "forward active energy, total",
      },
      values: [],
    });
  });

  it("DL/T 645-1997 frames (a capture published on GitHub, repository not resolvable in our index): 9010 named and decoded, --profile of the 1997 edition", () => {
    const tx = decoded(["dlt645", "68 27 59 63 03 00 01 68 01 02 43 C3 C0 16"]);
    expect(tx.fields).toMatchObject({
      edition: "1997",
      control: "0x01",
      function: "read data",
      di: "9010",
      di_name: "forward active energy, total",
    });
    const rx = "FE FE FE FE 68 27 59 63 03 00 01 68 81 06 43 C3 AC 59 47 33 C3 16";
    expect(decoded(["dlt645", rx]).values).toEqual([
      { name: "forward active energy, total", value: 1426.79, unit: "kWh" },
    ]);
    expect(decoded(["dlt645", rx, "--profile", "generic-dlt645-1997-single-phase"]).values).toEqual([
      { name: "energy_total", value: 1426.79, unit: "kWh" },
    ]);
    const voltage = decoded(["dlt645", "FE FE FE FE 68 27 59 63 03 00 01 68 81 04 44 E9 56 35 F4 16"]);
    expect(voltage.values).toEqual([{ name: "phase A voltage", value: 223, unit: "V" }]);
  });

  it("a reply: the value in the standard's unit, or scaled by --profile", () => {
    const reply = withCs([
      0xfe, // wake-up
      0xfe, // wake-up
      0x68, // start
      0x78, // address, low byte first: 000012345678
      0x56,
      0x34,
      0x12,
      0x00,
      0x00,
      0x68, // start of control and data
      0x91, // C: normal reply to read data
      0x07, // L: 4 DI + 3 value bytes
      0x33, // DI0 00+33  → DI 02030000, total active power
      0x33, // DI1 00+33
      0x36, // DI2 03+33
      0x35, // DI3 02+33
      0x33 + 0x30, // value XX.XXXX kW in BCD, low byte first: 30 18 01 → 01.1830 kW
      0x33 + 0x18,
      0x33 + 0x01,
    ]);
    const plain = decoded(["dlt645", reply]);
    expect(plain.kind).toBe("response");
    expect(plain.fields).toMatchObject({
      preamble: 2,
      address: "000012345678",
      abnormal: false,
      follow_up: false,
      di: "02030000",
      value_bytes: "301801",
    });
    expect(plain.values).toEqual([{ name: "total active power", value: 1.183, unit: "kW" }]);
    const scaled = decoded(["dlt645", "--profile", "generic-dlt645-single-phase", reply]);
    expect(scaled.values).toEqual([{ name: "power_total", value: expect.closeTo(1183, 6), unit: "W" }]);
  });

  it("an abnormal reply names its error", () => {
    const out = decoded(["dlt645", "68 01 00 00 00 00 00 68 D1 01 35 D8 16"]);
    expect(out.fields).toMatchObject({ abnormal: true, error: "0x02", errors: ["no requested data"] });
    expect(out.values).toEqual([]);
  });

  it("invalid frames exit 1 saying what is wrong and where", () => {
    const bad = hearth(["decode", "dlt645", "68 01 00 00 00 00 00 68 D1 01 35 D9 16"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(
      /^hearth decode dlt645: DL\/T 645: checksum at offset 11 is D9, computed D8 \(offsets count from the 68 start byte\)/,
    );
    // Wake-up bytes in front do not move the offsets: they count from the 68.
    const woken = hearth(["decode", "dlt645", "FE FE FE FE 68 01 00 00 00 00 00 68 D1 01 35 D9 16"]);
    expect(woken.code).toBe(1);
    expect(woken.stderr).toMatch(/checksum at offset 11 is D9/);

    const truncated = hearth(["decode", "dlt645", "68 78 56 34 12 00 00 68 91 06 33 34 34"]);
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toMatch(/length byte at offset 9 says 6 data bytes, frame ends early at 13/);

    // A reply for identifier 0F0F0F0F: in no table, so its value cannot be read.
    const unknown = hearth([
      "decode",
      "dlt645",
      withCs([0x68, 0x78, 0x56, 0x34, 0x12, 0, 0, 0x68, 0x91, 0x06, 0x42, 0x42, 0x42, 0x42, 0x45, 0x67]),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /unknown data identifier 0F0F0F0F at offset 10 \(not in the standard's table\); value bytes 1234/,
    );

    const notHex = hearth(["decode", "dlt645", "68 01 zz"]);
    expect(notHex.code).toBe(1);
    expect(notHex.stderr).toMatch(/Not hex: "z" at character 4\n$/);
  });
});

describe("hearth decode cjt188", () => {
  it("a metering reply (hupengwu/fox-edge-server-protocol cjt188 Demo.java): flow in m3", () => {
    const out = decoded([
      "cjt188",
      "68 10 44 33 22 11 00 33 78 81 16 1F 90 00 00 77 66 55 2C 00 77 66 55 2C 31 01 22 11 05 15 20 21 84 13 16",
    ]);
    expect(out.kind).toBe("response");
    expect(out.fields).toMatchObject({
      meter_type_name: "cold water meter",
      address: "78330011223344",
      di: "901F",
      di_order: "swapped",
      current_flow: 556677,
      current_unit: "m3",
      time: "2015-05-11 22:01:31",
      valve: "closed",
    });
    expect(out.values).toEqual([
      { name: "current_flow", value: 556677, unit: "m3" },
      { name: "settlement_flow", value: 556677, unit: "m3" },
    ]);
  });

  it("a reply in litres becomes m3", () => {
    const reply = withCs([
      0xfe, // wake-up
      0xfe,
      0x68, // start
      0x10, // T: cold water
      0x01, // address A0..A6, low byte first: 00000805000001
      0x00,
      0x00,
      0x05,
      0x08,
      0x00,
      0x00,
      0x81, // C: reply to read data
      0x16, // L: 22
      0x90, // DI 901F, standard order
      0x1f,
      0x07, // SER
      0x00, // current flow XXXXXX.XX in BCD, low byte first: 00 12 34 00 → 003412.00
      0x12,
      0x34,
      0x00,
      0x29, // unit: L
      0x00, // settlement-day flow
      0x00,
      0x00,
      0x00,
      0x29, // unit: L
      0x00, // real time (none)
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00, // ST0
      0x00, // ST1
    ]);
    // 3412.00 L → 3.412 m3.
    const out = decoded(["cjt188", reply]);
    expect(out.fields).toMatchObject({ ser: 7, current_flow: 3412, current_unit: "L", di_order: "standard" });
    expect(out.values[0]).toEqual({ name: "current_flow", value: expect.closeTo(3.412, 9), unit: "m3" });
  });

  it("invalid frames exit 1 saying what is wrong and where", () => {
    const bad = hearth(["decode", "cjt188", "FE FE FE 68 10 AA AA AA AA AA AA AA 01 03 90 1F 01 D3 16"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^hearth decode cjt188: CJ\/T 188: checksum at offset 14 is D3, computed D2 \(offsets count from the 68 start byte\)/,
    );

    const truncated = hearth(["decode", "cjt188", "68 10 01"]);
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toMatch(
      /CJ\/T 188: frame of 3 bytes is shorter than 13 \(at byte 3, counted from the 68 start byte\)/,
    );

    // A reply for identifier D120 (not the metering data 901F this tool reads).
    const unknown = hearth([
      "decode",
      "cjt188",
      withCs([0x68, 0x10, 0x01, 0, 0, 5, 8, 0, 0, 0x81, 0x06, 0x20, 0xd1, 0x01, 1, 2, 3]),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /reply identifier 20D1 is not 901F \(at byte 11, counted from the 68 start byte\)/,
    );
  });
});

describe("hearth decode modbus (meters)", () => {
  it("--response --profile eastron-sdm120 --start 70: raw registers and the profile's named values", () => {
    const frame = rtu([
      0x07, // unit 7
      0x04, // read input registers
      0x0c, // 12 bytes
      ...f32(50), // 30071 frequency
      ...f32(1500.25), // 30073 import active energy
      ...f32(0), // 30075 export active energy
    ]);
    const raw = decoded(["modbus", "--response", frame]);
    expect(raw.kind).toBe("response");
    expect(raw.fields).toMatchObject({
      unit: 7,
      function: 4,
      byte_count: 12,
      registers: [0x4248, 0, 0x44bb, 0x8800, 0, 0],
      crc_ok: true,
    });
    // A response does not carry its register address: no values without --start.
    expect(raw.values).toEqual([]);
    // Without a profile, what each register could mean: 42 48 00 00 is the float 50.
    const first = (raw as unknown as { interpretations: Record<string, unknown>[] }).interpretations[0];
    expect(first).toMatchObject({ register: 0, u16: 0x4248, float32_high_first: 50 });

    const named = decoded(["modbus", "--response", "--profile", "eastron-sdm120", "--start", "70", frame]);
    expect(named.values).toEqual([
      { name: "frequency", value: 50, unit: "Hz" },
      { name: "import_active_energy", value: 1500.25, unit: "kWh" },
      { name: "export_active_energy", value: 0, unit: "kWh" },
    ]);
    // At another start the same words are other registers (here: none of the profile's line up).
    expect(
      decoded(["modbus", "--response", "--profile", "eastron-sdm120", "--start", "1", frame]).values,
    ).toEqual([]);
  });

  it("--tcp: an MBAP request and response", () => {
    const request = decoded(["modbus", "--tcp", "00 2A 00 00 00 06 07 04 00 00 00 02"]);
    expect(request).toMatchObject({
      protocol: "modbus",
      kind: "request",
      fields: {
        transaction_id: 42,
        protocol_id: 0,
        length: 6,
        unit: 7,
        function: 4,
        address: 0,
        quantity: 2,
      },
    });
    const response = decoded([
      "modbus",
      "--tcp",
      "--profile",
      "eastron-sdm120",
      "--start",
      "0",
      hex([0x00, 0x2a, 0x00, 0x00, 0x00, 0x07, 0x07, 0x04, 0x04, ...f32(230.1)]),
    ]);
    expect(response.kind).toBe("response");
    expect(response.fields).toMatchObject({ transaction_id: 42, unit: 7, registers: [0x4366, 0x199a] });
    expect(response.values).toEqual([{ name: "voltage", value: expect.closeTo(230.1, 4), unit: "V" }]);
  });

  it("invalid frames exit 1 saying what is wrong and where", () => {
    const bad = hearth(["decode", "modbus", "--response", "07 04 04 43 66 80 00 AA BB"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^hearth decode modbus: Modbus CRC is 0xbbaa, expected 0x[0-9a-f]{4}/);
    expect(bad.stderr).toMatch(/byte 7/);
    const truncated = hearth(["decode", "modbus", "--tcp", "00 01 00 00 00 06 07 04 00 48"]);
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toMatch(/MBAP length says 6 bytes follow, only 4 present \(at byte 10\)/);
  });

  it("usage errors exit 2", () => {
    for (const [args, message] of [
      [["modbus", "--request", "--response", "01"], /--request and --response exclude each other/],
      [["modbus", "--start", "70000", "01"], /--start must be a register address 0\.\.65535/],
      [["modbus", "--profile", "no-such-meter", "01"], /no profile "no-such-meter"/],
      [["modbus", "--profile", "generic-dlt645-single-phase", "01"], /is dlt645, not modbus/],
      [["iec62056", "01"], /unknown protocol "iec62056"/],
    ] as const) {
      const r = hearth(["decode", ...args]);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
    }
  });
});

describe("hearth decode - (a capture, one frame per line)", () => {
  it("one JSON line per frame; a bad line is reported by its number and the run goes on; exit 1 at the end", () => {
    const capture = [
      "# captured on the gateway's RS-485 line",
      "68 61 01 00 00 00 00 68 11 04 33 33 34 33 14 16",
      "68 01 00 00 00 00 00 68 D1 01 35 D9 16 # checksum broken by noise",
      "",
      "68 01 00 00 00 00 00 68 D1 01 35 D8 16",
      "68 78 56 34",
    ].join("\n");
    const r = hearth(["decode", "dlt645", "-"], `${capture}\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("2 of the input's frames could not be decoded");
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ protocol: "dlt645", kind: "request" });
    expect(lines[1]).toEqual({ line: 3, error: expect.stringMatching(/checksum at offset 11 is D9/) });
    expect(lines[2]).toMatchObject({ protocol: "dlt645", fields: { abnormal: true } });
    expect(lines[3]).toEqual({ line: 6, error: expect.stringMatching(/DL\/T 645: /) });
  });

  it("a clean capture exits 0", () => {
    const r = hearth(
      ["decode", "cjt188", "-"],
      "FE FE FE 68 10 AA AA AA AA AA AA AA 01 03 90 1F 01 D2 16\nFE FE FE 68 10 AA AA AA AA AA AA AA 01 03 90 1F 01 D2 16\n",
    );
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as Decoded).fields.di),
    ).toEqual(["901F", "901F"]);
  });
});
