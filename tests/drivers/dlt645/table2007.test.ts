import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  diToBytes,
  encodeFrame,
  encodeValue,
  readFollowUpRequest,
  readReply,
} from "../../../drivers/dlt645/codec.js";
import { decodeDlt645Frame } from "../../../drivers/dlt645/decode.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";
import { dlt645Table, dlt645TableFile, parseDlt645Table } from "../../../src/profiles/dlt645-table.js";

/*
 * The DL/T 645-2007 appendix A table as data (device-profiles/dlt645/dlt645-2007.json) and `hearth
 * decode` of the identifiers it adds. Formats are those of github.com/600888/dlt645
 * (go/config/variable_types.json: Dataformat per identifier; demand: XX.XXXX then YYMMDDhhmm in
 * serversvc/handle_request.go) and github.com/bobyuxinyang/dlt645_2007 (dlt645_api_07.c: len and
 * format per identifier; error bits in trans_d07_format_err_word). Frames are written out here with the
 * checksum summed by hand.
 */

const sum = (b: number[]) => b.reduce((a, x) => (a + x) & 0xff, 0);
/** 68, address 000000000001 (low byte first), 68, C, L, data +33H, CS summed here, 16. */
function frame(control: number, plain: number[]): string {
  const head = [
    0x68,
    0x01,
    0,
    0,
    0,
    0,
    0,
    0x68,
    control,
    plain.length,
    ...plain.map((b) => (b + 0x33) & 0xff),
  ];
  return Buffer.from([...head, sum(head), 0x16]).toString("hex");
}
/** DI as written ("00030000") → the four bytes sent, DI0 first. */
const di = (s: string) => [...Buffer.from(s, "hex").reverse()];

describe("the DL/T 645-2007 table as data", () => {
  const t = dlt645Table(2007);

  it("covers what a household meter is asked for, each row citing its source", () => {
    const want: [string, string, number, number, boolean, string][] = [
      ["00030000", "bcd", 4, 2, true, "kvarh"], // combined reactive energy 1
      ["00040000", "bcd", 4, 2, true, "kvarh"], // combined reactive energy 2
      ["01010000", "demand", 8, 4, false, "kW"], // forward active maximum demand with its time
      ["02010200", "bcd", 2, 1, false, "V"], // phase B voltage
      ["02020300", "bcd", 3, 3, true, "A"], // phase C current
      ["02040000", "bcd", 3, 4, true, "kvar"], // total reactive power
      ["02050000", "bcd", 3, 4, true, "kVA"], // total apparent power
      ["02060000", "bcd", 2, 3, true, ""], // total power factor
      ["04000101", "date", 4, 0, false, ""],
      ["04000102", "time", 3, 0, false, ""],
      ["04000501", "bits", 2, 0, false, ""], // meter status word 1
    ];
    for (const [d, format, length, decimals, signed, unit] of want)
      expect(t.byDi.get(d), d).toMatchObject({ format, length, decimals, signed, unit });
    for (const r of t.rows) {
      expect(r.source.length, r.di).toBeGreaterThan(0);
      for (const s of r.source) expect(t.sources[s], `${r.di} cites ${s}`).toMatch(/\S/);
    }
    expect(t.rows.length).toBeGreaterThanOrEqual(60);
  });

  it("a broken table is refused naming the row: a duplicate, an unknown source, a 1997 identifier, a demand of the wrong length", () => {
    const good = JSON.parse(readFileSync(dlt645TableFile(2007), "utf8")) as {
      identifiers: Record<string, unknown>[];
    };
    const row = good.identifiers[0] as Record<string, unknown>;
    const broken = (patch: (rows: Record<string, unknown>[]) => void) => {
      const copy = structuredClone(good);
      patch(copy.identifiers);
      return () => parseDlt645Table(2007, JSON.stringify(copy));
    };
    expect(broken((rows) => rows.push({ ...row }))).toThrow(/identifiers\.\d+\.di: 00000000 listed twice/);
    expect(broken((rows) => rows.push({ ...row, di: "0000FF00", source: ["nowhere"] }))).toThrow(
      /unknown source nowhere/,
    );
    expect(broken((rows) => rows.push({ ...row, di: "9010" }))).toThrow(/9010 is not a 2007 identifier/);
    expect(broken((rows) => rows.push({ ...row, di: "01FF0000", format: "demand", length: 3 }))).toThrow(
      /demand is 8 bytes/,
    );
    expect(() => parseDlt645Table(2007, "{")).toThrow(/not JSON/);
  });
});

describe("hearth decode of the 2007 identifiers the table adds", () => {
  it("combined reactive energy 1 (00030000) keeps its sign bit: -123.45 kvarh", () => {
    const d = decodeDlt645Frame(frame(0x91, [...di("00030000"), 0x45, 0x23, 0x01, 0x80]));
    expect(d.fields).toMatchObject({ di: "00030000", di_name: "combined reactive energy 1, total" });
    expect(d.values).toEqual([{ name: "combined reactive energy 1, total", value: -123.45, unit: "kvarh" }]);
  });

  it("reactive and apparent power, power factor, phase B voltage", () => {
    const v = (d: string, bytes: number[]) => decodeDlt645Frame(frame(0x91, [...di(d), ...bytes])).values[0];
    expect(v("02040000", [0x00, 0x25, 0x81])).toEqual({
      name: "total reactive power",
      value: -1.25,
      unit: "kvar",
    });
    expect(v("02050000", [0x00, 0x50, 0x02])).toEqual({
      name: "total apparent power",
      value: 2.5,
      unit: "kVA",
    });
    expect(v("02060000", [0x87, 0x09])).toEqual({ name: "total power factor", value: 0.987, unit: "" });
    expect(v("02010200", [0x12, 0x23])).toEqual({ name: "phase B voltage", value: 231.2, unit: "V" });
  });

  it("maximum demand with the time it happened (01010000: XX.XXXX kW, then YYMMDDhhmm)", () => {
    // 05.4321 kW at 2026-11-30 18:45, every part low byte first.
    const d = decodeDlt645Frame(
      frame(0x91, [...di("01010000"), 0x21, 0x43, 0x05, 0x45, 0x18, 0x30, 0x11, 0x26]),
    );
    expect(d.values).toEqual([
      { name: "forward active maximum demand, total, with its time", value: 5.4321, unit: "kW" },
    ]);
    expect(d.fields.time).toBe("2026-11-30T18:45");
  });

  it("date, time and a status word decode as text; the status word lists its set bits", () => {
    const f = (d: string, bytes: number[]) => decodeDlt645Frame(frame(0x91, [...di(d), ...bytes])).fields;
    expect(f("04000101", [0x01, 0x07, 0x12, 0x26])).toMatchObject({ value: "2026-12-07 (weekday 1)" });
    expect(f("04000102", [0x05, 0x04, 0x03])).toMatchObject({ value: "03:04:05" });
    expect(f("04000501", [0x14, 0x00])).toMatchObject({ value: "0x0014", bits_set: [2, 4] });
    expect(f("04000401", [0x01, 0x00, 0x97, 0x00, 0x00, 0x00])).toMatchObject({ value: "000000970001" });
  });

  it("the read follow-up sequence: 12H carries the frame number; B1H says more follow; 92H ends with its number", () => {
    const req = readFollowUpRequest("000000000001", "00010000", 1, { preamble: 0 }).toString("hex");
    expect(req).toBe(frame(0x12, [...di("00010000"), 0x01]));
    expect(decodeDlt645Frame(req).fields).toMatchObject({
      function: "read follow-up data",
      di: "00010000",
      sequence: 1,
    });
    const first = decodeDlt645Frame(frame(0xb1, [...di("00010000"), 0x56, 0x34]));
    expect(first.fields).toMatchObject({ follow_up: true, di: "00010000", value_bytes: "5634" });
    expect(first.values).toEqual([]);
    const last = decodeDlt645Frame(frame(0x92, [...di("00010000"), 0x12, 0x00, 0x01]));
    expect(last.fields).toMatchObject({
      function: "read follow-up data",
      follow_up: false,
      sequence: 1,
      value_bytes: "1200",
    });
  });

  it("abnormal replies name each bit of the error byte (bobyuxinyang/dlt645_2007 trans_d07_format_err_word)", () => {
    expect(decodeDlt645Frame(frame(0xd1, [0x02])).fields).toMatchObject({
      abnormal: true,
      error: "0x02",
      errors: ["no requested data"],
    });
    expect(decodeDlt645Frame(frame(0xd2, [0x0c])).fields).toMatchObject({
      function: "read follow-up data",
      errors: ["password error or unauthorised", "baud rate cannot be changed"],
    });
  });

  it("an identifier outside the table is refused with its bytes, not guessed", () => {
    try {
      decodeDlt645Frame(frame(0x91, [...di("0000FF00"), 1, 2, 3, 4]));
      expect.unreachable();
    } catch (e) {
      expect(isHearthError(e, ErrorCode.FrameUnsupported)).toBe(true);
      expect((e as Error).message).toMatch(/unknown data identifier 0000FF00.*value bytes 01020304/);
    }
  });

  it("property: every row of the table decodes its own encoding; garbage after a known identifier is a HearthError", () => {
    const numeric = dlt645Table(2007).rows.filter((r) => r.format === "bcd");
    fc.assert(
      fc.property(fc.constantFrom(...numeric), fc.nat(), fc.uint8Array({ maxLength: 12 }), (row, n, junk) => {
        // A signed value keeps the top bit for its sign: up to 79…9.
        const raw = n % (row.signed ? (8 * 100 ** row.length) / 10 : 100 ** row.length);
        const value = raw / 10 ** row.decimals;
        const ok = decodeDlt645Frame(
          readReply("000000000001", row.di, encodeValue(value, row), false, {
            preamble: 0,
          }).toString("hex"),
        );
        expect(ok.values[0]?.value).toBeCloseTo(value, row.decimals);
        const bad = encodeFrame(
          {
            address: "000000000001",
            control: 0x91,
            data: Buffer.concat([diToBytes(row.di), Buffer.from(junk)]),
          },
          { preamble: 0 },
        );
        try {
          decodeDlt645Frame(bad.toString("hex"));
        } catch (e) {
          expect(isHearthError(e), String(e)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
