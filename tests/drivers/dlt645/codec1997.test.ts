import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeFrame,
  decodeValue,
  encodeFrame,
  encodeValue,
  frameLength,
} from "../../../drivers/dlt645/codec.js";
import {
  bytesToDi1997,
  Control1997,
  di1997ToBytes,
  errorNames1997,
  errorReply1997,
  parseAddressReply1997,
  parseReadReply1997,
  readAddressRequest1997,
  readDataRequest1997,
  readReply1997,
} from "../../../drivers/dlt645/codec1997.js";
import { decodeDlt645Frame } from "../../../drivers/dlt645/decode.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";
import { dlt645Table } from "../../../src/profiles/dlt645-table.js";

/*
 * DL/T 645-1997 frames. Layouts follow github.com/bobyuxinyang/dlt645_1997 (dlt645_api_97.c: control
 * codes, two-byte identifiers DI0 first, formats per identifier) and github.com/jwangyaxin/dlt645_97
 * (dlt645.py Channel.encode: FE FE, 68, address low byte first, 68, C, L, data +33H, sum, 16; its
 * read_voltageA/read_quantity send [0x11, 0xB6] and [0x10, 0x90]). Checksums are summed here by
 * hand, not by our encoder. Two frames are a capture published on GitHub that a content search found
 * but whose repository our index does not name: they are marked as such.
 */

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const sum = (b: number[]) => b.reduce((a, x) => (a + x) & 0xff, 0);
/** A frame written out: 68, address (low byte first), 68, C, L, data already +33H, CS computed here, 16. */
function frame(addressLowFirst: number[], control: number, data: number[]): Buffer {
  const head = [0x68, ...addressLowFirst, 0x68, control, data.length, ...data];
  return Buffer.from([...head, sum(head), 0x16]);
}

describe("DL/T 645-1997 frames", () => {
  it("a read of 9010 (forward active energy) as jwangyaxin/dlt645_97 read_quantity sends it", () => {
    // chn.encode(addr, 0x01, [0x10, 0x90]) for meter 000044254618 (the address in its dlt645.py comment).
    const expected = Buffer.from([
      0xfe,
      0xfe, // wake-up, as Channel.encode adds
      0x68,
      0x18,
      0x46,
      0x25,
      0x44,
      0x00,
      0x00,
      0x68, // address 000044254618, low byte first
      0x01, // C: read data (1997)
      0x02, // L
      0x43,
      0xc3, // DI 9010 (10 90) + 33H
      0xa0, // CS: 68+18+46+25+44+00+00+68+01+02+43+C3 = 0x2A0
      0x16,
    ]);
    expect(readDataRequest1997("000044254618", "9010", { preamble: 2 })).toEqual(expected);
    expect(decodeDlt645Frame(expected.toString("hex"))).toMatchObject({
      kind: "request",
      fields: { edition: "1997", function: "read data", di: "9010", di_name: "forward active energy, total" },
    });
  });

  it("a meter-number read (C032) at AA..AA, as gateways search for 1997 meters (bobyuxinyang/dlt645_1997 format NN 6 bytes)", () => {
    const req = frame([0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa], 0x01, [0x65, 0xf3]);
    expect(readAddressRequest1997({ preamble: 0 })).toEqual(req);
    // The meter answers from its own address with its number, low byte first.
    const reply = frame(
      [0x01, 0x00, 0x97, 0x00, 0x00, 0x00],
      0x81,
      [0x65, 0xf3, 0x34, 0x33, 0xca, 0x33, 0x33, 0x33],
    );
    const f = decodeFrame(reply);
    expect(parseAddressReply1997(f)).toBe("000000970001");
    expect(decodeDlt645Frame(reply.toString("hex")).fields).toMatchObject({
      di: "C032",
      di_name: "meter number",
      value: "000000970001",
    });
  });

  it("a meter answering from AA..AA itself is known by the number it sends (the case a gateway's search code published on GitHub notes)", () => {
    const reply = frame(
      [0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa],
      0x81,
      [0x65, 0xf3, 0x45, 0x45, 0x45, 0x33, 0x33, 0x33],
    );
    expect(parseAddressReply1997(decodeFrame(reply))).toBe("000000121212");
    const notBcd = frame([0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa], 0x81, [
      0x65,
      0xf3,
      0x33 + 0x1a,
      0x33,
      0x33,
      0x33,
      0x33,
      0x33,
    ]);
    expect(() => parseAddressReply1997(decodeFrame(notBcd))).toThrow(/not BCD/);
  });

  it("a 9010 reply captured from a meter (published on GitHub; repository not resolvable in our index): 1426.79 kWh", () => {
    // "->Rx:FE FE FE FE 68 27 59 63 03 00 01 68 81 06 43 C3 AC 59 47 33 C3 16" after "<-Tx:68 27 59 63 03 00 01 68 01 02 43 C3 C0 16"
    const tx = hex("68 27 59 63 03 00 01 68 01 02 43 C3 C0 16");
    const rx = hex("FE FE FE FE 68 27 59 63 03 00 01 68 81 06 43 C3 AC 59 47 33 C3 16");
    expect(readDataRequest1997("010003635927", "9010", { preamble: 0 })).toEqual(tx);
    expect(frameLength(rx)).toBe(rx.length);
    const r = parseReadReply1997(decodeFrame(rx));
    expect(r).toMatchObject({ kind: "data", address: "010003635927", di: "9010", more: false });
    if (r.kind !== "data") throw new Error("unreachable");
    expect(decodeValue(r.value, { length: 4, decimals: 2, signed: false })).toBe(1426.79);
    expect(decodeDlt645Frame(rx.toString("hex")).values).toEqual([
      { name: "forward active energy, total", value: 1426.79, unit: "kWh" },
    ]);
  });

  it("a B611 reply from the same capture: phase A voltage in whole volts (XXX), 223 V", () => {
    const rx = hex("FE FE FE FE 68 27 59 63 03 00 01 68 81 04 44 E9 56 35 F4 16");
    expect(decodeDlt645Frame(rx.toString("hex"))).toMatchObject({
      kind: "response",
      fields: { edition: "1997", di: "B611", abnormal: false },
      values: [{ name: "phase A voltage", value: 223, unit: "V" }],
    });
  });

  it("B630 active power XX.XXXX kW and B621 current XX.XX A (bobyuxinyang/dlt645_1997 formats)", () => {
    const power = frame([0x01, 0, 0, 0, 0, 0], 0x81, [0x63, 0xe9, 0x33 + 0x00, 0x33 + 0x50, 0x33 + 0x01]); // bytes 00 50 01, low first: 01.5000 kW
    expect(decodeDlt645Frame(power.toString("hex")).values).toEqual([
      { name: "total active power", value: 1.5, unit: "kW" },
    ]);
    const current = frame([0x01, 0, 0, 0, 0, 0], 0x81, [0x54, 0xe9, 0x33 + 0x34, 0x33 + 0x12]); // 12 34 -> 12.34 A
    expect(decodeDlt645Frame(current.toString("hex")).values).toEqual([
      { name: "phase A current", value: 12.34, unit: "A" },
    ]);
  });

  it("an abnormal reply (C1H) names each bit of the 1997 error byte (bobyuxinyang/dlt645_1997 trans_d97_format_err_word)", () => {
    const rx = frame([0x01, 0, 0, 0, 0, 0], 0xc1, [0x33 + 0x02]);
    expect(errorReply1997("000000000001", 0x02, { preamble: 0 })).toEqual(rx);
    expect(decodeDlt645Frame(rx.toString("hex")).fields).toMatchObject({
      edition: "1997",
      abnormal: true,
      error: "0x02",
      errors: ["wrong data identifier"],
    });
    expect(errorNames1997(0x01)).toEqual(["illegal data"]);
    expect(errorNames1997(0x75)).toEqual([
      "illegal data",
      "password error",
      "year time zones exceeded",
      "daily time slots exceeded",
      "tariffs exceeded",
    ]);
    expect(errorNames1997(0)).toEqual(["unspecified error"]);
  });

  it("C010 date and C011 time decode as text, not numbers (bobyuxinyang/dlt645_1997 YYMMDDWW, hhmmss)", () => {
    const date = frame([0x01, 0, 0, 0, 0, 0], 0x81, [
      0x43,
      0xf3,
      0x33 + 0x03,
      0x33 + 0x07,
      0x33 + 0x12,
      0x33 + 0x26,
    ]);
    expect(decodeDlt645Frame(date.toString("hex"))).toMatchObject({
      fields: { di: "C010", value: "2026-12-07 (weekday 3)" },
      values: [],
    });
    const time = frame([0x01, 0, 0, 0, 0, 0], 0x81, [0x44, 0xf3, 0x33 + 0x56, 0x33 + 0x34, 0x33 + 0x12]);
    expect(decodeDlt645Frame(time.toString("hex")).fields).toMatchObject({ di: "C011", value: "12:34:56" });
  });

  it("a reply with follow-up frames (A1H) says so and decodes no partial value", () => {
    const rx = frame([0x01, 0, 0, 0, 0, 0], 0xa1, [0x43, 0xc3, 0x33, 0x33]);
    const r = parseReadReply1997(decodeFrame(rx));
    expect(r).toMatchObject({ kind: "data", more: true });
    const d = decodeDlt645Frame(rx.toString("hex"));
    expect(d.fields).toMatchObject({ follow_up: true, di: "9010", value_bytes: "0000" });
    expect(d.values).toEqual([]);
  });

  it("refuses what is not a reply, and identifiers of the wrong width", () => {
    const req = readDataRequest1997("000000000001", "9010", { preamble: 0 });
    expect(() => parseReadReply1997(decodeFrame(req))).toThrow(/not a reply/);
    expect(() => di1997ToBytes("00010000")).toThrow(/4 hex digits/);
    try {
      parseReadReply1997(decodeFrame(frame([1, 0, 0, 0, 0, 0], 0x81, [0x43])));
      expect.unreachable();
    } catch (e) {
      expect(isHearthError(e, ErrorCode.FrameTruncated)).toBe(true);
    }
  });
});

describe("DL/T 645-1997 properties", () => {
  const address = fc.stringMatching(/^[0-9]{12}$/);
  const rows = dlt645Table(1997).rows.filter((r) => r.format === "bcd");

  it("round trip: any numeric identifier of the table with any value it can carry, through reply and decode", () => {
    fc.assert(
      fc.property(
        address,
        fc.constantFrom(...rows),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 4 }),
        (a, row, x, preamble) => {
          const max = 100 ** row.length / 10 ** row.decimals;
          const value = Math.floor(x * (max - 1) * 10 ** row.decimals) / 10 ** row.decimals;
          const wire = readReply1997(a, row.di, encodeValue(value, row), false, { preamble });
          expect(frameLength(wire)).toBe(wire.length);
          const r = parseReadReply1997(decodeFrame(wire));
          if (r.kind !== "data") throw new Error("expected data");
          expect(r.address).toBe(a);
          expect(r.di).toBe(row.di);
          expect(decodeValue(r.value, row)).toBeCloseTo(value, row.decimals);
          expect(bytesToDi1997(di1997ToBytes(row.di))).toBe(row.di);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("garbage never throws anything but a HearthError, from the codec or from decode", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        (c, data, raw) => {
          const wire = encodeFrame(
            { address: "000000000001", control: c, data: Buffer.from(data) },
            { preamble: 0 },
          );
          for (const input of [wire, Buffer.from(raw)]) {
            for (const run of [
              () => parseReadReply1997(decodeFrame(input)),
              () => parseAddressReply1997(decodeFrame(input)),
              () => decodeDlt645Frame(input.toString("hex")),
            ]) {
              try {
                run();
              } catch (e) {
                expect(isHearthError(e), String(e)).toBe(true);
              }
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("DL/T 645-1997 control codes", () => {
  it("are those of python-dlt645's FUNCTION_CODES[1997] with the direction, abnormal and follow-up bits", () => {
    expect(Control1997).toEqual({
      ReadData: 0x01,
      ReadFollowUp: 0x02,
      ReadDataReply: 0x81,
      ReadFollowUpReply: 0x82,
      ReadDataReplyMore: 0xa1,
      ReadFollowUpReplyMore: 0xa2,
      ReadDataError: 0xc1,
      ReadFollowUpError: 0xc2,
    });
  });
});
