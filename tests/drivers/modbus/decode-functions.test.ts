import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeModbusFrame } from "../../../drivers/modbus/decode.js";
import { encodeTcp } from "../../../drivers/modbus/mbap.js";
import { encodeRtu } from "../../../drivers/modbus/rtu.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";
import type { ModbusProfile } from "../../../src/profiles/modbus.js";
import { thrown } from "../../helpers/errors.js";

/*
 * Every PDU below is the example of its function in "MODBUS Application Protocol Specification
 * V1.1b3" (modbus.org, 2012, §6.x, named at each test), and the same bytes as Debian's pymodbus 3.0
 * encodes for that request or response (checked with its ReadCoilsRequest(19, 19).encode() etc.).
 * They are sent in an RTU frame to unit 1, the CRC computed by our encodeRtu (the spec's examples are
 * PDUs and carry none).
 */

const rtu = (pdu: string) => encodeRtu(1, Buffer.from(pdu.replace(/\s+/g, ""), "hex")).toString("hex");
const decode = (pdu: string, opts: Parameters<typeof decodeModbusFrame>[1] = {}) =>
  decodeModbusFrame(rtu(pdu), opts);

describe("hearth decode modbus: every function of the issue", () => {
  it("1 Read Coils (§6.1 example): request 20-38, response bits low bit first", () => {
    expect(decode("01 0013 0013").fields).toMatchObject({
      function: 1,
      function_name: "Read Coils",
      address: 19,
      quantity: 19,
    });
    const res = decode("01 03 CD 6B 05");
    expect(res.kind).toBe("response");
    // CD = 1100 1101: coils 27..20 → first bits 1 0 1 1 0 0 1 1 (the spec's "coils 20-27").
    expect((res.fields.coils as number[]).slice(0, 19)).toEqual([
      1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1,
    ]);
    expect(res.fields.byte_count).toBe(3);
  });

  it("2 Read Discrete Inputs (§6.2 example)", () => {
    expect(decode("02 00C4 0016").fields).toMatchObject({
      function_name: "Read Discrete Inputs",
      address: 196,
      quantity: 22,
    });
    const res = decode("02 03 AC DB 35", { mode: "response" });
    expect((res.fields.inputs as number[]).slice(0, 8)).toEqual([0, 0, 1, 1, 0, 1, 0, 1]);
  });

  it("5 Write Single Coil (§6.5 example: coil 173 ON), and a value that is neither ON nor OFF", () => {
    expect(decode("05 00AC FF00").fields).toMatchObject({
      function_name: "Write Single Coil",
      address: 172,
      value: true,
    });
    expect(decode("05 00AC FF00", { mode: "response" }).kind).toBe("response");
    const e = thrown(() => decode("05 00AC 1234"));
    expect(e.code).toBe(ErrorCode.FrameMalformed);
    expect(e.message).toMatch(/neither FF00/);
  });

  it("6 Write Single Register (§6.6 example)", () => {
    expect(decode("06 0001 0003").fields).toMatchObject({
      function_name: "Write Single Register",
      address: 1,
      value: 3,
    });
  });

  it("8 Diagnostics (§6.8 example: Return Query Data A537; sub-function 11 Return Bus Message Count)", () => {
    expect(decode("08 0000 A537").fields).toMatchObject({
      function_name: "Diagnostics",
      sub_function: 0,
      sub_function_name: "Return Query Data",
      data: [0xa537],
    });
    expect(decode("08 000B 0000").fields.sub_function_name).toBe("Return Bus Message Count");
  });

  it("15 Write Multiple Coils (§6.11 example): request with its coils, response", () => {
    expect(decode("0F 0013 000A 02 CD 01").fields).toMatchObject({
      function_name: "Write Multiple Coils",
      address: 19,
      quantity: 10,
      byte_count: 2,
      coils: [1, 0, 1, 1, 0, 0, 1, 1, 1, 0],
    });
    const res = decode("0F 0013 000A");
    expect(res.kind).toBe("response");
    expect(res.fields).toMatchObject({ address: 19, quantity: 10 });
    expect(thrown(() => decode("0F 0013 000A 03 CD 01 00")).message).toMatch(/byte count 3, expected 2/);
  });

  it("16 Write Multiple Registers (§6.12 example)", () => {
    expect(decode("10 0001 0002 04 000A 0102").fields).toMatchObject({
      function_name: "Write Multiple Registers",
      values: [10, 258],
    });
  });

  it("23 Read/Write Multiple registers (§6.17 example): both halves of the request, the read registers", () => {
    expect(decode("17 0003 0006 000E 0003 06 00FF 00FF 00FF").fields).toMatchObject({
      function: 23,
      read_address: 3,
      read_quantity: 6,
      write_address: 14,
      write_quantity: 3,
      values: [255, 255, 255],
    });
    const res = decode("17 0C 00FE 0ACD 0001 0003 000D 00FF");
    expect(res.kind).toBe("response");
    expect(res.fields.registers).toEqual([0xfe, 0xacd, 1, 3, 0xd, 0xff]);
    expect(res.interpretations?.[0]).toMatchObject({ register: 0, u16: 254, u32_high_first: 0x00fe0acd });
  });

  it("43/14 Read Device Identification (§6.21 example): the objects by name", () => {
    expect(decode("2B 0E 01 00").fields).toMatchObject({
      function_name: "Encapsulated Interface Transport",
      mei_type: 14,
      read_device_id_code: 1,
      read_device_id_name: "basic",
      object_id: 0,
    });
    const text = (s: string) => Buffer.from(s, "latin1").toString("hex");
    const res = decode(
      `2B 0E 01 01 00 00 03 00 16 ${text("Company identification")} 01 0F ${text("Product code XX")} 02 05 ${text("V2.11")}`,
    );
    expect(res.fields).toMatchObject({
      more_follows: false,
      number_of_objects: 3,
      objects: {
        VendorName: "Company identification",
        ProductCode: "Product code XX",
        MajorMinorRevision: "V2.11",
      },
    });
    expect(thrown(() => decode("2B 0E 01 01 00 00 01 00 16 41")).code).toBe(ErrorCode.FrameTruncated);
  });

  it("exception replies of the new functions (§7: 81 02, AB 01)", () => {
    expect(decode("81 02").fields).toMatchObject({
      function: 1,
      function_name: "Read Coils",
      exception: true,
      exception_name: "ILLEGAL DATA ADDRESS",
    });
    expect(decode("AB 01").fields).toMatchObject({
      function: 43,
      exception_code: 1,
      exception_name: "ILLEGAL FUNCTION",
    });
    expect(decode("97 04").fields).toMatchObject({ function: 23, exception_name: "SERVER DEVICE FAILURE" });
  });
});

describe("register interpretations without a profile", () => {
  it("an SDM120 voltage reply: float32 high word first is 229.8 (the float pymodbus packs for 229.8)", () => {
    // struct.pack(">f", 229.8) = 43 65 CC CD, as our pymodbus SDM120 fixture serves it.
    const res = decode("04 04 4365 CCCD", { start: 0 });
    expect(res.interpretations).toEqual([
      {
        register: 0,
        hex: "4365",
        u16: 0x4365,
        s16: 0x4365,
        u32_high_first: 0x4365cccd,
        s32_high_first: 0x4365cccd,
        float32_high_first: 229.8,
        u32_low_first: 0xcccd4365,
        s32_low_first: 0xcccd4365 - 2 ** 32,
        float32_low_first: expect.any(Number),
      },
      { register: 1, hex: "CCCD", u16: 0xcccd, s16: 0xcccd - 0x10000 },
    ]);
    expect(res.values).toEqual([]);
  });

  it("--start numbers the registers; a NaN float is said, not dropped", () => {
    const res = decode("03 04 7FC0 0000", { start: 70 });
    expect(res.interpretations?.[0]).toMatchObject({ register: 70, float32_high_first: "NaN" });
  });

  it("with --profile and --start the values are named, at the register's precision", () => {
    const sdm120 = loadCatalogue().profiles.get("eastron-sdm120") as ModbusProfile;
    const res = decode("04 04 4365 CCCD", { profile: sdm120, start: 0 });
    expect(res.values).toEqual([{ name: "voltage", value: 229.8, unit: "V" }]);
    expect(res.interpretations).toBeUndefined();
  });

  it("over TCP as well", () => {
    const frame = encodeTcp(7, 1, Buffer.from("0302FFFE", "hex")).toString("hex");
    const res = decodeModbusFrame(frame, { tcp: true });
    expect(res.interpretations?.[0]).toMatchObject({ u16: 0xfffe, s16: -2 });
  });
});

describe("garbage", () => {
  it("random PDUs of every function, both ways, never throw anything but a HearthError", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 4, 5, 6, 8, 15, 16, 23, 43, 0x81, 0xab, 0x97, 7, 99),
        fc.uint8Array({ maxLength: 40 }),
        fc.constantFrom("request" as const, "response" as const, undefined),
        (f, rest, mode) => {
          const pdu = Buffer.concat([Buffer.from([f]), Buffer.from(rest)]);
          try {
            decodeModbusFrame(encodeRtu(1, pdu).toString("hex"), mode ? { mode } : {});
          } catch (e) {
            expect(isHearthError(e)).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
