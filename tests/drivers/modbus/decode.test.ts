import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeModbusFrame } from "../../../drivers/modbus/decode.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";
import type { ModbusProfile } from "../../../src/profiles/modbus.js";
import { thrown } from "../../helpers/errors.js";

const sdm120 = loadCatalogue().profiles.get("eastron-sdm120") as ModbusProfile;

describe("decodeModbusFrame (hearth decode modbus)", () => {
  it("decodes the spec's RTU read request, guessing it is a request", () => {
    expect(decodeModbusFrame("11 03 00 6B 00 03 76 87")).toEqual({
      protocol: "modbus",
      kind: "request",
      fields: {
        unit: 17,
        crc: "0x8776",
        crc_ok: true,
        function: 3,
        function_name: "Read Holding Registers",
        address: 107,
        quantity: 3,
      },
      values: [],
    });
  });

  it("decodes a response's raw registers, and named values given a profile and start address", () => {
    const hex = "01 04 04 43 66 33 34 1B 38";
    const raw = decodeModbusFrame(hex);
    expect(raw.kind).toBe("response");
    expect(raw.fields.registers).toEqual([0x4366, 0x3334]);
    expect(raw.values).toEqual([]);
    const named = decodeModbusFrame(hex, { profile: sdm120, start: 0 });
    expect(named.values).toHaveLength(1);
    expect(named.values[0]?.name).toBe("voltage");
    expect(named.values[0]?.unit).toBe("V");
    expect(named.values[0]?.value).toBeCloseTo(230.2, 4);
  });

  it("decodes exceptions and TCP frames", () => {
    expect(decodeModbusFrame("01 83 02 C0 F1").fields).toMatchObject({
      function: 3,
      exception: true,
      exception_code: 2,
      exception_name: "ILLEGAL DATA ADDRESS",
    });
    const tcp = decodeModbusFrame("0001 0000 0006 11 03 006B 0003", { tcp: true });
    expect(tcp.fields).toMatchObject({
      transaction_id: 1,
      protocol_id: 0,
      length: 6,
      unit: 17,
      address: 107,
    });
  });

  it("says what is wrong and where", () => {
    const crc = thrown(() => decodeModbusFrame("11 03 00 6B 00 03 87 76"));
    expect(crc.code).toBe(ErrorCode.FrameChecksum);
    expect(crc.message).toContain("at byte 6");
    const hex = thrown(() => decodeModbusFrame("11 03 zz"));
    expect(hex.code).toBe(ErrorCode.FrameMalformed);
    expect(hex.message).toContain('"z"');
    const odd = thrown(() => decodeModbusFrame("110"));
    expect(odd.code).toBe(ErrorCode.FrameMalformed);
    // A request-shaped frame forced to be read as a response: the byte count does not fit.
    const forced = thrown(() => decodeModbusFrame("11 03 00 6B 00 03 76 87", { mode: "response" }));
    expect([ErrorCode.FrameMalformed, ErrorCode.FrameTruncated]).toContain(forced.code);
  });

  it("random input never throws anything but HearthError", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.boolean(),
        fc.constantFrom(undefined, "request" as const, "response" as const),
        (arr, tcp, mode) => {
          try {
            decodeModbusFrame(Buffer.from(arr).toString("hex"), { tcp, mode, profile: sdm120, start: 0 });
          } catch (e) {
            if (!isHearthError(e)) throw e;
          }
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          decodeModbusFrame(text);
        } catch (e) {
          if (!isHearthError(e)) throw e;
        }
      }),
    );
  });
});
