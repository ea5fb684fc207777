import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { roundDecimals, scaled, shortestFloat32 } from "../../../drivers/common/precision.js";
import { decodeValue, type RegisterFormat } from "../../../drivers/modbus/values.js";

const f32 = (x: number) => Math.fround(x);
const fmt = (type: RegisterFormat["type"], more: Partial<RegisterFormat> = {}): RegisterFormat => ({
  type,
  word_order: "big",
  byte_order: "big",
  scale: 1,
  ...more,
});

describe("values at the precision of their source (issue 13)", () => {
  it("float32: the shortest decimal that is the same float32", () => {
    // The figures of the issue: an SDM120 read by a plain widening reported these doubles.
    expect(f32(229.8)).toBe(229.8000030517578);
    expect(shortestFloat32(f32(229.8))).toBe(229.8);
    expect(shortestFloat32(f32(287.3))).toBe(287.3);
    // 2^24 − 1 is exact in a float32 and needs all eight digits.
    expect(shortestFloat32(16777215)).toBe(16777215);
    expect(shortestFloat32(f32(0.1))).toBe(0.1);
    expect(shortestFloat32(f32(-1.5e-7))).toBe(-1.5e-7);
    expect(shortestFloat32(Number.NaN)).toBeNaN();
    expect(shortestFloat32(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });

  it("float32 property: the result is the same float32, and no shorter decimal is", () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = shortestFloat32(x);
        expect(Math.fround(s)).toBe(Math.fround(x));
        if (s !== 0) {
          const digits = Math.abs(s).toExponential().split("e")[0]?.replace(".", "").length ?? 0;
          if (digits > 1) expect(Math.fround(Number(s.toPrecision(digits - 1)))).not.toBe(Math.fround(x));
        }
      }),
    );
  });

  it("a Modbus float32 register decodes to 229.8, scaled and profile-rounded values to their decimals", () => {
    // 229.8 as float32 is 0x4365CCCD: words 4365 CCCD, high word first (SDM120 layout).
    expect(decodeValue(fmt("float32"), [0x4365, 0xcccd])).toBe(229.8);
    expect(decodeValue(fmt("float32", { word_order: "little" }), [0xcccd, 0x4365])).toBe(229.8);
    expect(decodeValue(fmt("u32", { scale: 0.001 }), [0x0003, 0x8270])).toBe(230);
    expect(decodeValue(fmt("u16", { scale: 0.1 }), [2298])).toBe(229.8);
    // A profile's own decimals win: a meter that displays whole volts.
    expect(decodeValue(fmt("float32", { decimals: 0 }), [0x4365, 0xcccd])).toBe(230);
    expect(decodeValue(fmt("float32", { decimals: 2, scale: 0.001 }), [0x4365, 0xcccd])).toBe(0.23);
  });

  it("roundDecimals rounds the decimal digits as written, and scaled drops binary noise", () => {
    expect(roundDecimals(1.005, 2)).toBe(1.01);
    expect(roundDecimals(-1.005, 2)).toBe(-1.01);
    expect(roundDecimals(229.8000030517578, 1)).toBe(229.8);
    expect(roundDecimals(1e-9, 3)).toBe(0);
    expect(roundDecimals(1e22, 2)).toBe(1e22);
    expect(scaled(12345, 0.01)).toBe(123.45);
    expect(scaled(1234567, 0.001)).toBe(1234.567);
  });
});
