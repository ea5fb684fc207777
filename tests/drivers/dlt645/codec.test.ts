import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addressReply,
  Control,
  decodeFrame,
  decodeValue,
  diToBytes,
  encodeFrame,
  encodeValue,
  errorNames,
  errorReply,
  frameLength,
  KNOWN_IDENTIFIERS,
  parseAddressReply,
  parseReadReply,
  readAddressRequest,
  readDataRequest,
  readFollowUpRequest,
  readReply,
} from "../../../drivers/dlt645/codec.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";
import { expectFrameError } from "../../helpers/errors.js";

const bytes = (...b: number[]) => Buffer.from(b);
/** The standard's format of a known identifier. */
const fmt = (di: string) => {
  const k = KNOWN_IDENTIFIERS[di];
  if (!k) throw new Error(`unknown identifier ${di}`);
  return k;
};

describe("DL/T 645-2007 frames from public implementations and the standard", () => {
  it("decodes a forward-active-energy reply (zcx1218029121/go645, protocol_test.go TestDecode)", () => {
    const frame = bytes(
      0x68, // start
      0x14, // A0
      0x01, // A1
      0x00, // A2
      0x31, // A3
      0x82, // A4
      0x21, // A5 -> address 218231000114
      0x68, // second start
      0x91, // C: reply from meter, normal, no follow-up, read data
      0x08, // L: 8 data bytes
      0x33, // DI0 00 (+33)
      0x33, // DI1 00
      0x34, // DI2 01
      0x33, // DI3 00 -> DI 00010000 forward active energy
      0x39, // value byte 0: 06
      0x33, // value byte 1: 00
      0x33, // value byte 2: 00
      0x33, // value byte 3: 00 -> 000000.06 kWh
      0xf1, // CS
      0x16, // end
    );
    expect(frameLength(frame)).toBe(frame.length);
    const f = decodeFrame(frame);
    expect(f.address).toBe("218231000114");
    expect(f.control).toBe(Control.ReadDataReply);
    const r = parseReadReply(f);
    expect(r).toMatchObject({ kind: "data", di: "00010000", more: false });
    if (r.kind !== "data") throw new Error("unreachable");
    expect(decodeValue(r.value, fmt("00010000"))).toBeCloseTo(0.06, 9);
  });

  it("encodes the read request of zcx1218029121/go645 protocol_test.go TestRead byte for byte", () => {
    const expected = bytes(
      0x68, // start
      0x61, // A0
      0x01, // A1
      0x00, // A2
      0x00, // A3
      0x00, // A4
      0x00, // A5 -> address 000000000161
      0x68, // second start
      0x11, // C: read data
      0x04, // L
      0x33, // DI0 00
      0x33, // DI1 00
      0x34, // DI2 01
      0x33, // DI3 00 -> 00010000
      0x14, // CS
      0x16, // end
    );
    expect(readDataRequest("000000000161", "00010000", { preamble: 0 })).toEqual(expected);
    expect(decodeFrame(expected)).toEqual({
      address: "000000000161",
      control: 0x11,
      data: diToBytes("00010000"),
    });
  });

  it("decodes a voltage-block read request with FE preamble (hupengwu/fox-edge-server-protocol, dlt645 demo/TestUtils07.java)", () => {
    const frame = bytes(
      0xfe, // wake-up
      0xfe, // wake-up
      0xfe, // wake-up
      0xfe, // wake-up
      0x68, // start
      0x18, // A0
      0x20, // A1
      0x12, // A2
      0x22, // A3
      0x20, // A4
      0x65, // A5 -> 652022122018
      0x68, // second start
      0x11, // C: read data
      0x04, // L
      0x33, // DI0 00
      0x32, // DI1 FF (0x32 - 0x33 wraps)
      0x34, // DI2 01
      0x35, // DI3 02 -> 0201FF00 voltage data block
      0xa4, // CS over 68..last data byte, FE excluded
      0x16, // end
    );
    expect(frameLength(frame)).toBe(frame.length);
    const f = decodeFrame(frame);
    expect(f.address).toBe("652022122018");
    expect(f.data).toEqual(diToBytes("0201FF00"));
    expect(readDataRequest("652022122018", "0201FF00")).toEqual(frame);
  });

  it("decodes a 9-byte read reply from the same fox-edge demo (TestUtils07.java, second frame)", () => {
    const frame = bytes(
      0xfe, // wake-up
      0xfe, // wake-up
      0xfe, // wake-up
      0xfe, // wake-up
      0x68, // start
      0x01, // A0
      0x00, // A1
      0x00, // A2
      0x00, // A3
      0x00, // A4
      0x00, // A5 -> 000000000001
      0x68, // second start
      0x91, // C: normal reply
      0x09, // L: DI + 5 bytes
      0x33, // DI0 00
      0x33, // DI1 00
      0x34, // DI2 01
      0x33, // DI3 00 -> 00010000
      0x45, // 12
      0x33, // 00
      0x33, // 00
      0x33, // 00
      0x34, // 01: a fifth value byte the 4-byte energy format has no room for
      0x4a, // CS
      0x16, // end
    );
    const r = parseReadReply(decodeFrame(frame));
    expect(r).toMatchObject({ kind: "data", di: "00010000" });
    if (r.kind !== "data") throw new Error("unreachable");
    expect(r.value).toEqual(bytes(0x12, 0, 0, 0, 0x01));
    // The value does not have the standard's length: a typed error, not a wrong number.
    expectFrameError(
      () => decodeValue(r.value, { length: 4, decimals: 2, signed: true }),
      ErrorCode.FrameMalformed,
    );
  });

  it("encodes the read-address broadcast of DL/T 645-2007 clause 7.7 (68 AA×6 68 13 00 DF 16)", () => {
    const expected = bytes(
      0xfe, // wake-up
      0xfe, // wake-up
      0xfe, // wake-up
      0xfe, // wake-up
      0x68, // start
      0xaa, // A0 wildcard
      0xaa, // A1
      0xaa, // A2
      0xaa, // A3
      0xaa, // A4
      0xaa, // A5
      0x68, // second start
      0x13, // C: read address
      0x00, // L: no data
      0xdf, // CS
      0x16, // end
    );
    expect(readAddressRequest()).toEqual(expected);
  });

  it("decodes a read-address reply and an abnormal reply built per the standard's layout", () => {
    // Read-address reply: C = 93, data = the address A0..A5, each +33 (layout of clause 7.7).
    const reply = bytes(
      0x68, // start
      0x01, // A0
      0x00, // A1
      0x00, // A2
      0x00, // A3
      0x00, // A4
      0x00, // A5 -> 000000000001
      0x68, // second start
      0x93, // C: read-address reply
      0x06, // L
      0x34, // A0 01
      0x33, // A1 00
      0x33, // A2 00
      0x33, // A3 00
      0x33, // A4 00
      0x33, // A5 00
      0x9d, // CS
      0x16, // end
    );
    expect(parseAddressReply(decodeFrame(reply))).toBe("000000000001");
    expect(addressReply("000000000001", { preamble: 0 })).toEqual(reply);

    // Abnormal reply: C = D1, L = 1, ERR = 02 (no requested data), +33 on the wire.
    const abnormal = bytes(
      0x68, // start
      0x01, // A0
      0x00, // A1
      0x00, // A2
      0x00, // A3
      0x00, // A4
      0x00, // A5
      0x68, // second start
      0xd1, // C: abnormal reply to read data
      0x01, // L
      0x35, // ERR 02 + 33
      0xd8, // CS: 68+01+68+D1+01+35 = 0x1D8
      0x16, // end
    );
    expect(parseReadReply(decodeFrame(abnormal))).toEqual({
      kind: "error",
      address: "000000000001",
      error: 0x02,
      errors: ["no requested data"],
    });
    expect(errorReply("000000000001", 0x02, { preamble: 0 })).toEqual(abnormal);
  });
});

describe("DL/T 645 values", () => {
  it("decodes signed and unsigned formats of the standard", () => {
    const f = fmt;
    // 220.5 V: XXX.X, 2 bytes, low first
    expect(decodeValue(bytes(0x05, 0x22), f("02010100"))).toBeCloseTo(220.5, 9);
    // -1.234 A: XXX.XXX with the sign bit on the top byte
    expect(decodeValue(bytes(0x34, 0x12, 0x80), f("02020100"))).toBeCloseTo(-1.234, 9);
    // 1.5 kW: XX.XXXX
    expect(decodeValue(bytes(0x00, 0x50, 0x01), f("02030000"))).toBeCloseTo(1.5, 9);
    // combined energy 123456.78 kWh
    expect(decodeValue(bytes(0x78, 0x56, 0x34, 0x12), f("00000000"))).toBeCloseTo(123456.78, 6);
  });

  it("rejects non-BCD value bytes naming the offset", () => {
    expectFrameError(
      () => decodeValue(bytes(0x0a, 0x22), { length: 2, decimals: 1, signed: false }, 14),
      ErrorCode.FrameMalformed,
      14,
    );
  });

  it("refuses values that do not fit the format", () => {
    expectFrameError(
      () => encodeValue(800, { length: 2, decimals: 1, signed: true }),
      ErrorCode.ValueOutOfRange,
    );
    expectFrameError(
      () => encodeValue(-1, { length: 2, decimals: 1, signed: false }),
      ErrorCode.ValueOutOfRange,
    );
  });

  it("names every set error bit", () => {
    expect(errorNames(0x06)).toEqual(["no requested data", "password error or unauthorised"]);
    expect(errorNames(0)).toEqual(["unspecified error"]);
  });
});

describe("DL/T 645 follow-up frames", () => {
  it("encodes read follow-up (12H) with its sequence number and parses a follow-up reply without it", () => {
    const req = decodeFrame(readFollowUpRequest("000000000001", "0001FF00", 1));
    expect(req.control).toBe(Control.ReadFollowUp);
    expect(req.data).toEqual(Buffer.concat([diToBytes("0001FF00"), bytes(0x01)]));
    // B2: reply to read follow-up with more frames after it; data = DI, values, SEQ.
    const reply = encodeFrame({
      address: "000000000001",
      control: Control.ReadFollowUpReplyMore,
      data: Buffer.concat([diToBytes("0001FF00"), bytes(0x78, 0x56, 0x34, 0x12), bytes(0x01)]),
    });
    expect(parseReadReply(decodeFrame(reply))).toEqual({
      kind: "data",
      address: "000000000001",
      di: "0001FF00",
      value: bytes(0x78, 0x56, 0x34, 0x12),
      more: true,
    });
  });
});

describe("DL/T 645 framing errors", () => {
  const good = readReply(
    "000000000001",
    "02010100",
    encodeValue(220.1, { length: 2, decimals: 1, signed: false }),
    false,
    {
      preamble: 0,
    },
  );

  it("flags a bad checksum at its offset", () => {
    const bad = Buffer.from(good);
    bad[bad.length - 2] = ((bad[bad.length - 2] as number) + 1) & 0xff;
    expectFrameError(() => decodeFrame(bad), ErrorCode.FrameChecksum, bad.length - 2);
  });

  it("flags a truncated frame and waits for more in frameLength", () => {
    const cut = good.subarray(0, good.length - 3);
    expect(frameLength(cut)).toBe(0);
    expectFrameError(() => decodeFrame(cut), ErrorCode.FrameTruncated);
  });

  it("tells the line to drop garbage before a frame", () => {
    expect(frameLength(bytes(0x00, 0x68))).toBe(-1);
    expect(frameLength(bytes(0x68, 1, 2, 3, 4, 5, 6, 0x00))).toBe(-1);
    expect(frameLength(bytes(0xfe, 0xfe))).toBe(0);
  });

  it("refuses a frame that is not a read reply", () => {
    expectFrameError(
      () => parseReadReply(decodeFrame(readDataRequest("000000000001", "00010000"))),
      ErrorCode.FrameUnexpected,
      8,
    );
  });
});

describe("DL/T 645 properties", () => {
  const di = fc.stringMatching(/^[0-9A-F]{8}$/);

  it("value encode → decode round-trips within the format", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        di,
        (length, decimalsRaw, signed, frac, negative, id) => {
          const decimals = Math.min(decimalsRaw, length * 2 - 1);
          const maxRaw = signed ? 8 * 10 ** (2 * length - 1) - 1 : 10 ** (2 * length) - 1;
          const raw = Math.floor(frac * maxRaw);
          const value = ((signed && negative ? -1 : 1) * raw) / 10 ** decimals;
          const format = { length, decimals, signed };
          const wire = readReply("000000000001", id, encodeValue(value, format));
          const r = parseReadReply(decodeFrame(wire));
          if (r.kind !== "data") throw new Error("unreachable");
          expect(r.di).toBe(id);
          expect(decodeValue(r.value, format)).toBeCloseTo(value, decimals);
        },
      ),
    );
  });

  it("random data fields inside valid frames never throw anything but HearthError", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }), (c, data) => {
        const f = decodeFrame(encodeFrame({ address: "000000000001", control: c, data: Buffer.from(data) }));
        for (const fn of [
          () => {
            const r = parseReadReply(f);
            if (r.kind === "data")
              decodeValue(r.value, { length: r.value.length, decimals: 2, signed: true });
          },
          () => parseAddressReply(f),
        ]) {
          try {
            fn();
          } catch (e) {
            expect(isHearthError(e)).toBe(true);
          }
        }
      }),
    );
  });
});
