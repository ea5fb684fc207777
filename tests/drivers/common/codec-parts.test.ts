import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addressToWire, bcdToInt, intToBcd, sum8, wireToAddress } from "../../../drivers/common/bcd.js";
import { allocFrame } from "../../../drivers/common/frame.js";
import { hex2, parseHex, toHex } from "../../../drivers/common/hex.js";
import { addressMatches } from "../../../drivers/common/meters.js";
import { ErrorCode } from "../../../src/core/errors.js";
import { expectFrameError, thrown } from "../../helpers/errors.js";

/** The pieces the DL/T 645 and CJ/T 188 codecs share: hex text, packed BCD, addresses, checksum. */

describe("hex", () => {
  it("writes bytes as the standards do, and reads hex as installers paste it", () => {
    expect(hex2(0x0a)).toBe("0A");
    expect(hex2(0xfe)).toBe("FE");
    expect(hex2(0xfe, "lower")).toBe("fe");
    expect(toHex(Buffer.from([0x68, 0x01, 0xab]))).toBe("6801AB");
    expect(parseHex("0x68 01:AB,cd-16\n")).toEqual(Buffer.from([0x68, 0x01, 0xab, 0xcd, 0x16]));
  });

  it("names the bad character, or the odd digit count", () => {
    // A bad character is a place in the text, not a byte of a frame.
    const bad = thrown(() => parseHex("68 0g"));
    expect([bad.code, bad.context.character, bad.context.offset]).toEqual([
      ErrorCode.FrameMalformed,
      3,
      undefined,
    ]);
    expectFrameError(() => parseHex("68 1"), ErrorCode.FrameMalformed, 3);
  });
});

describe("packed BCD, low byte first", () => {
  it("round-trips any value that fits", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const v = Math.floor(f * (100 ** n - 1));
        expect(bcdToInt(intToBcd(v, n), 0, "value", "test")).toBe(v);
      }),
    );
    expect(intToBcd(123456, 3)).toEqual(Buffer.from([0x56, 0x34, 0x12]));
  });

  it("refuses what does not fit (ValueOutOfRange) and bytes that are not BCD (FrameMalformed at the byte)", () => {
    expectFrameError(() => intToBcd(100, 1), ErrorCode.ValueOutOfRange);
    expectFrameError(() => intToBcd(-1, 2), ErrorCode.ValueOutOfRange);
    expectFrameError(
      () => bcdToInt(Buffer.from([0x12, 0x3a]), 10, "value", "test"),
      ErrorCode.FrameMalformed,
      11,
    );
  });
});

describe("addresses and checksum", () => {
  it("puts a nameplate address on the wire lowest byte first, and back", () => {
    expect(addressToWire("000012345678", 6, "test")).toEqual(Buffer.from([0x78, 0x56, 0x34, 0x12, 0, 0]));
    expect(wireToAddress(Buffer.from([0x78, 0x56, 0x34, 0x12, 0, 0]))).toBe("000012345678");
    expectFrameError(() => addressToWire("12345", 6, "test"), ErrorCode.FrameMalformed);
  });

  it("matches AA wildcard bytes of a configured address against any reply", () => {
    expect(addressMatches("AAAA12345678", "000012345678", 6)).toBe(true);
    expect(addressMatches("aaaa12345678", "990012345678", 6)).toBe(true);
    expect(addressMatches("000012345678", "000012345679", 6)).toBe(false);
  });

  it("sums bytes modulo 256 over a range", () => {
    expect(sum8(Buffer.from([0xff, 0x02, 0x05]), 0, 2)).toBe(0x01);
  });

  it("refuses a wake-up preamble outside 0..4 (ValueOutOfRange) and a data field over 255 bytes", () => {
    expectFrameError(() => allocFrame("test", 5, 12, 0), ErrorCode.ValueOutOfRange);
    expectFrameError(() => allocFrame("test", 0, 12, 256), ErrorCode.FrameMalformed);
  });
});
