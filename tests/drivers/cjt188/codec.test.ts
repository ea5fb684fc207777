import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Control,
  decodeFrame,
  decodeStatus,
  encodeFrame,
  frameLength,
  MeterType,
  parseAddressReply,
  parseReadReply,
  readAddressRequest,
  readDataRequest,
} from "../../../drivers/cjt188/codec.js";
import { addressReply, errorReply, meterDataReply } from "../../../drivers/cjt188/meter-replies.js";
import { toCubicMetres } from "../../../drivers/cjt188/units.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";
import { expectFrameError } from "../../helpers/errors.js";

const bytes = (...b: number[]) => Buffer.from(b);

function meterData(frame: Buffer) {
  const r = parseReadReply(decodeFrame(frame));
  if (r.kind !== "data") throw new Error(`expected data, got ${r.kind}`);
  return r.data;
}

// Frames of hupengwu/fox-edge-server-protocol are in
// fox-edge-server-protocol/fox-edge-server-protocol-cjt188/src/main/java/cn/foxtech/device/protocol/v1/cjt188/Demo.java
const FOX = "hupengwu/fox-edge-server-protocol cjt188 Demo.java";

describe("CJ/T 188-2004 frames from public implementations", () => {
  it(`decodes a cold-water 901F reply with FE preamble (${FOX}, 2nd decodePack)`, () => {
    const frame = bytes(
      0xfe, // wake-up
      0xfe, // wake-up
      0xfe, // wake-up
      0x68, // start
      0x10, // T: cold water meter
      0x01, // A0
      0x00, // A1
      0x00, // A2
      0x05, // A3
      0x08, // A4
      0x00, // A5
      0x00, // A6 -> address 00000805000001
      0x81, // C: read data reply
      0x16, // L: 22
      0x90, // DI0
      0x1f, // DI1 -> 901F, standard order
      0x00, // SER
      0x00, // current flow byte 0 (x.xx)
      0x23, // current flow byte 1
      0x01, // current flow byte 2
      0x00, // current flow byte 3 -> 000123.00
      0x2c, // unit m3
      0x00, // settlement-day flow byte 0
      0x00, // byte 1
      0x00, // byte 2
      0x00, // byte 3 -> 0
      0x2c, // unit m3
      0x00, // ss
      0x00, // mm
      0x00, // hh
      0x00, // DD
      0x00, // MM
      0x00, // YY low
      0x00, // YY high -> no time set
      0x00, // ST0
      0x00, // ST1
      0x48, // CS
      0x16, // end
    );
    expect(frameLength(frame)).toBe(frame.length);
    const d = meterData(frame);
    expect(d).toMatchObject({
      meterType: MeterType.ColdWater,
      address: "00000805000001",
      ser: 0,
      diOrder: "standard",
      current: 123,
      currentUnit: 0x2c,
      settlement: 0,
      time: undefined,
      status: { raw: 0, valve: "open", batteryLow: false },
    });
  });

  it(`decodes a reply with swapped DI (1F 90), real time and a closed valve (${FOX}, 4th decodePack)`, () => {
    const frame = bytes(
      0x68, // start
      0x10, // T: cold water
      0x44, // A0
      0x33, // A1
      0x22, // A2
      0x11, // A3
      0x00, // A4
      0x33, // A5
      0x78, // A6 -> 78330011223344
      0x81, // C: read data reply
      0x16, // L: 22
      0x1f, // DI sent low byte first by this meter
      0x90, //   -> 901F swapped
      0x00, // SER
      0x00, // current flow .00
      0x77, // 77
      0x66, // 66
      0x55, // 55 -> 556677.00
      0x2c, // m3
      0x00, // settlement .00
      0x77, // 77
      0x66, // 66
      0x55, // 55 -> 556677.00
      0x2c, // m3
      0x31, // ss 31
      0x01, // mm 01
      0x22, // hh 22
      0x11, // DD 11
      0x05, // MM 05
      0x15, // YY 15
      0x20, // YY 20 -> 2015-05-11 22:01:31
      0x21, // ST0: D0-D1 = 01 valve closed, D2 = 0 battery ok
      0x84, // ST1: manufacturer bits
      0x13, // CS
      0x16, // end
    );
    const d = meterData(frame);
    expect(d).toMatchObject({
      address: "78330011223344",
      diOrder: "swapped",
      current: 556677,
      settlement: 556677,
      time: "2015-05-11 22:01:31",
      status: { raw: 0x8421, valve: "closed", batteryLow: false },
    });
    expect(toCubicMetres(d.current ?? Number.NaN, d.currentUnit ?? 0)).toBe(556677);
  });

  it("decodes the reply of a C# implementation's test (class Friendcom.Protocol.Sample.FrameCJT188_2004Sample, SetDataSample; repository not identified by our code search)", () => {
    const frame = bytes(
      0x68, // start
      0x10, // T
      0x88, // A0
      0x05, // A1
      0x27, // A2
      0x10, // A3
      0x15, // A4
      0x20, // A5
      0x00, // A6 -> 00201510270588
      0x81, // C
      0x16, // L
      0x90, // DI0
      0x1f, // DI1
      0x01, // SER 1
      0x00, // current
      0x00, //
      0x00, //
      0x00, //
      0x2c, // m3
      0x00, // settlement
      0x00, //
      0x00, //
      0x00, //
      0x2c, // m3
      0x06, // ss 06
      0x20, // mm 20
      0x17, // hh 17
      0x09, // DD 09
      0x01, // MM 01
      0x17, // YY 17
      0x20, // YY 20 -> 2017-01-09 17:20:06
      0x00, // ST0
      0x00, // ST1
      0x8e, // CS
      0x16, // end
    );
    expect(meterData(frame)).toMatchObject({
      address: "00201510270588",
      ser: 1,
      time: "2017-01-09 17:20:06",
    });
  });

  it("encodes the read request of the same C# test, and rejects its bad-checksum twin (IsProtocolSample)", () => {
    const request = bytes(
      0x68, // start
      0x10, // T: cold water
      0x88, // A0
      0x05, // A1
      0x27, // A2
      0x10, // A3
      0x15, // A4
      0x20, // A5
      0x00, // A6
      0x01, // C: read data
      0x03, // L
      0x90, // DI0
      0x1f, // DI1
      0x01, // SER
      0x25, // CS
      0x16, // end
    );
    expect(readDataRequest(MeterType.ColdWater, "00201510270588", 1, { preamble: 0 })).toEqual(request);
    const bad = Buffer.from(request);
    bad[14] = 0x24; // the C# test expects this variant to be refused
    expectFrameError(() => decodeFrame(bad), ErrorCode.FrameChecksum, 14);
  });

  it(`decodes a read-address reply (${FOX}, CJT188ProtocolGetAddress.decode)`, () => {
    const frame = bytes(
      0x68, // start
      0x10, // T
      0x01, // A0
      0x00, // A1
      0x00, // A2
      0x05, // A3
      0x08, // A4
      0x00, // A5
      0x00, // A6 -> 00000805000001
      0x83, // C: read address reply
      0x03, // L
      0x81, // DI0
      0x0a, // DI1 -> 810A
      0x00, // SER
      0x97, // CS
      0x16, // end
    );
    expect(parseAddressReply(decodeFrame(frame))).toEqual({
      meterType: 0x10,
      address: "00000805000001",
      ser: 0,
      diOrder: "standard",
    });
  });

  it("encodes the wildcard read-address request used by installers (python_cjt188 by aixiwang, cjt188_get_addr)", () => {
    const expected = bytes(
      0xfe, // wake-up
      0xfe, // wake-up
      0xfe, // wake-up
      0x68, // start
      0xaa, // T: any type
      0xaa, // A0 wildcard
      0xaa, // A1
      0xaa, // A2
      0xaa, // A3
      0xaa, // A4
      0xaa, // A5
      0xaa, // A6
      0x03, // C: read address
      0x03, // L
      0x81, // DI0
      0x0a, // DI1
      0x00, // SER
      0x49, // CS (the value in that file's comment)
      0x16, // end
    );
    expect(readAddressRequest(0, { preamble: 3 })).toEqual(expected);
  });
});

describe("CJ/T 188 replies", () => {
  it("decodes an error reply", () => {
    const r = parseReadReply(decodeFrame(errorReply(0x10, "00000000000001", 7, 0x0004)));
    expect(r).toEqual({
      kind: "error",
      address: "00000000000001",
      ser: 7,
      status: { raw: 4, valve: "open", batteryLow: true },
    });
  });

  it("converts litres to cubic metres and refuses energy units", () => {
    expect(toCubicMetres(1234.5, 0x29)).toBeCloseTo(1.2345, 9);
    expectFrameError(() => toCubicMetres(1, 0x05), ErrorCode.FrameUnsupported);
  });

  it("flags non-BCD flow at its frame offset", () => {
    const wire = meterDataReply(0x10, "00000000000001", 1, { current: 1 }, { preamble: 0 });
    wire[14] = 0x0f; // first flow byte; data starts at 11, flow at data offset 3
    wire[wire.length - 2] = [...wire.subarray(0, wire.length - 2)].reduce((s, b) => (s + b) & 0xff, 0);
    expectFrameError(() => parseReadReply(decodeFrame(wire)), ErrorCode.FrameMalformed, 14);
  });

  it("refuses other identifiers and control codes", () => {
    const other = encodeFrame({
      meterType: 0x10,
      address: "00000000000001",
      control: 0x81,
      data: bytes(0x90, 0x2f, 0),
    });
    expectFrameError(() => parseReadReply(decodeFrame(other)), ErrorCode.FrameUnsupported, 11);
    expectFrameError(
      () => parseReadReply(decodeFrame(readDataRequest(0x10, "00000000000001", 0))),
      ErrorCode.FrameUnexpected,
      9,
    );
  });

  it("decodes status bits", () => {
    expect(decodeStatus(0x03, 0)).toMatchObject({ valve: "abnormal" });
    expect(decodeStatus(0x02, 0)).toMatchObject({ valve: "unknown" });
  });

  it("answers with the DI order it was asked in", () => {
    const d = meterData(meterDataReply(0x10, "12345678901234", 9, { current: 12.34, diOrder: "swapped" }));
    expect(d.diOrder).toBe("swapped");
    expect(addressReply(0x10, "12345678901234", 1, { diOrder: "swapped", preamble: 0 })[11]).toBe(0x0a);
    expect(Control.ReadAddressReply).toBe(0x83);
  });
});

describe("CJ/T 188 properties", () => {
  const address = fc.stringMatching(/^[0-9]{14}$/);

  it("meter data round-trips", () => {
    fc.assert(
      fc.property(
        address,
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.date({
          min: new Date(Date.UTC(2000, 0, 1)),
          max: new Date(Date.UTC(2099, 11, 31)),
          noInvalidDate: true,
        }),
        // FF FF is "status not supported" (issue 13: FF… fields are left out), tested in lenient.test.ts.
        fc.integer({ min: 0, max: 0xfffe }),
        fc.constantFrom<"standard" | "swapped">("standard", "swapped"),
        (a, cur, settle, time, status, diOrder) => {
          const d = meterData(
            meterDataReply(0x10, a, 5, {
              current: cur / 100,
              settlement: settle / 100,
              time,
              status,
              diOrder,
            }),
          );
          expect(d.current).toBeCloseTo(cur / 100, 6);
          expect(d.settlement).toBeCloseTo(settle / 100, 6);
          expect(d.time).toBe(time.toISOString().slice(0, 19).replace("T", " "));
          expect(d.status?.raw).toBe(status);
          expect(d.diOrder).toBe(diOrder);
        },
      ),
    );
  });

  it("random data fields inside valid frames never throw anything but HearthError", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0x81, 0x83, 0xc1, 0x01),
        fc.oneof(fc.uint8Array({ maxLength: 30 }), fc.uint8Array({ minLength: 22, maxLength: 22 })),
        fc.boolean(),
        (c, data, di) => {
          const d = Buffer.from(data);
          if (di && d.length >= 2) {
            d[0] = 0x90;
            d[1] = 0x1f;
          }
          const f = decodeFrame(
            encodeFrame({ meterType: 0x10, address: "00000000000001", control: c, data: d }),
          );
          for (const fn of [() => parseReadReply(f), () => parseAddressReply(f)]) {
            try {
              fn();
            } catch (e) {
              expect(isHearthError(e)).toBe(true);
            }
          }
        },
      ),
    );
  });
});
