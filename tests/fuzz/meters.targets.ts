/** DL/T 645 and CJ/T 188 frames, and the BCD and frame envelope they share (drivers/common). */
import fc from "fast-check";
import * as cjt from "../../drivers/cjt188/codec.js";
import { decodeCjt188Frame } from "../../drivers/cjt188/decode.js";
import { meterDataReply } from "../../drivers/cjt188/meter-replies.js";
import { addressToWire, bcdToInt, intToBcd, wireToAddress } from "../../drivers/common/bcd.js";
import { parseHex } from "../../drivers/common/hex.js";
import * as dlt from "../../drivers/dlt645/codec.js";
import { decodeDlt645Frame } from "../../drivers/dlt645/decode.js";
import { DLT645_STANDARD_FORMATS } from "../../src/profiles/dlt645.js";
import { type FuzzTarget, hexOf, invariant, wireBytes } from "./harness.js";

const digits = (n: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: n, maxLength: n });
const addressText = (n: number) =>
  fc.oneof({ weight: 4, arbitrary: digits(n) }, fc.constant("A".repeat(n)), fc.string({ maxLength: n + 2 }));
const preamble = fc.integer({ min: 0, max: 4 });
const KNOWN_DIS = Object.keys(DLT645_STANDARD_FORMATS);

/** `frameLength` answers 0 (more), -1 (resync) or a length within what it was given. */
function checkLength(n: number, available: number, what: string): void {
  invariant(
    Number.isInteger(n) && (n === 0 || n === -1 || (n > 0 && n <= available)),
    `${what}: length ${n}`,
  );
}

// ---- DL/T 645 ------------------------------------------------------------------------------------

const dltValid: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .record({
      address: digits(12),
      di: fc.constantFrom(...KNOWN_DIS),
      value: fc.uint8Array({ maxLength: 6 }),
      more: fc.boolean(),
      preamble,
    })
    .map((r) => dlt.readReply(r.address, r.di, r.value, r.more, { preamble: r.preamble })),
  fc
    .record({ address: digits(12), error: fc.integer({ min: 0, max: 255 }), preamble })
    .map((r) => dlt.errorReply(r.address, r.error, { preamble: r.preamble })),
  fc
    .record({ address: digits(12), preamble })
    .map((r) => dlt.addressReply(r.address, { preamble: r.preamble })),
  fc
    .record({
      address: digits(12),
      control: fc.integer({ min: 0, max: 255 }),
      data: fc.uint8Array({ maxLength: 210 }),
      preamble,
    })
    .map((r) =>
      dlt.encodeFrame(
        { address: r.address, control: r.control, data: Buffer.from(r.data) },
        { preamble: r.preamble },
      ),
    ),
);

/** Bytes off the bus: the line's frame length, the codec, and the CLI's whole explanation of a frame. */
export const dlt645Decode: FuzzTarget<Uint8Array> = {
  name: "dlt645.decode",
  ciRuns: 2000,
  arbitrary: wireBytes(dltValid),
  run(bytes) {
    checkLength(dlt.frameLength(bytes), bytes.length, "frameLength");
    const d = decodeDlt645Frame(hexOf(bytes));
    for (const v of d.values) invariant(Number.isFinite(v.value), `value ${v.value} is not finite`);
  },
};

/** encode → decode gives the frame back; values and BCD integers round-trip in their format. */
export const dlt645RoundTrip: FuzzTarget<{
  address: string;
  control: number;
  data: Uint8Array;
  preamble: number;
  di: string;
  raw: number;
  negative: boolean;
}> = {
  name: "dlt645.roundtrip",
  ciRuns: 1000,
  arbitrary: fc.record({
    address: addressText(12),
    control: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 255 }),
    preamble: fc.integer({ min: -1, max: 5 }),
    di: fc.constantFrom(...KNOWN_DIS),
    raw: fc.nat(),
    negative: fc.boolean(),
  }),
  run(r) {
    const frame = { address: r.address, control: r.control, data: Buffer.from(r.data) };
    const wire = dlt.encodeFrame(frame, { preamble: r.preamble });
    invariant(dlt.frameLength(wire) === wire.length, "frameLength of an encoded frame is its length");
    const back = dlt.decodeFrame(wire);
    invariant(back.address === r.address.toUpperCase(), `address ${back.address} != ${r.address}`);
    invariant(back.control === r.control, "control");
    invariant(back.data.equals(frame.data), "data");
    const f = DLT645_STANDARD_FORMATS[r.di];
    if (!f) return;
    const raw = r.raw % (f.signed ? (8 * 100 ** f.length) / 10 : 100 ** f.length);
    const value = ((r.negative && f.signed ? -1 : 1) * raw) / 10 ** f.decimals;
    const decoded = dlt.decodeValue(dlt.encodeValue(value, f), f);
    invariant(decoded === value || (decoded === 0 && value === 0), `value ${value} came back ${decoded}`);
  },
};

// ---- CJ/T 188 ------------------------------------------------------------------------------------

const cjtValid: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .record({
      type: fc.integer({ min: 0, max: 255 }),
      address: digits(14),
      ser: fc.integer({ min: 0, max: 255 }),
      current: fc.nat({ max: 99_999_999 }),
      settlement: fc.nat({ max: 99_999_999 }),
      unit: fc.constantFrom(0x29, 0x2c, 0x05, 0x00, 0xff),
      time: fc.option(
        fc.date({ min: new Date("2000-01-01Z"), max: new Date("2099-12-31Z"), noInvalidDate: true }),
        {
          nil: undefined,
        },
      ),
      status: fc.integer({ min: 0, max: 0xffff }),
      diOrder: fc.constantFrom("standard" as const, "swapped" as const),
      preamble,
    })
    .map((r) =>
      meterDataReply(
        r.type,
        r.address,
        r.ser,
        {
          current: r.current / 100,
          settlement: r.settlement / 100,
          currentUnit: r.unit,
          settlementUnit: r.unit,
          ...(r.time ? { time: r.time } : {}),
          status: r.status,
          diOrder: r.diOrder,
        },
        { preamble: r.preamble },
      ),
    ),
  fc
    .record({
      type: fc.integer({ min: 0, max: 255 }),
      address: digits(14),
      control: fc.integer({ min: 0, max: 255 }),
      data: fc.uint8Array({ maxLength: 110 }),
      preamble,
    })
    .map((r) =>
      cjt.encodeFrame(
        { meterType: r.type, address: r.address, control: r.control, data: Buffer.from(r.data) },
        { preamble: r.preamble },
      ),
    ),
);

export const cjt188Decode: FuzzTarget<Uint8Array> = {
  name: "cjt188.decode",
  ciRuns: 2000,
  arbitrary: wireBytes(cjtValid),
  run(bytes) {
    checkLength(cjt.frameLength(bytes), bytes.length, "frameLength");
    const d = decodeCjt188Frame(hexOf(bytes));
    for (const v of d.values) invariant(Number.isFinite(v.value), `value ${v.value} is not finite`);
  },
};

export const cjt188RoundTrip: FuzzTarget<{
  type: number;
  address: string;
  ser: number;
  current: number;
  time?: Date;
  diOrder: cjt.DiOrder;
}> = {
  name: "cjt188.roundtrip",
  ciRuns: 1000,
  arbitrary: fc.record(
    {
      type: fc.integer({ min: 0, max: 255 }),
      address: digits(14),
      ser: fc.integer({ min: 0, max: 255 }),
      current: fc.nat({ max: 99_999_999 }),
      time: fc.date({ min: new Date("2000-01-01Z"), max: new Date("2099-12-31Z"), noInvalidDate: true }),
      diOrder: fc.constantFrom("standard" as const, "swapped" as const),
    },
    { requiredKeys: ["type", "address", "ser", "current", "diOrder"] },
  ),
  run(r) {
    const wire = meterDataReply(r.type, r.address, r.ser, {
      current: r.current / 100,
      ...(r.time ? { time: r.time } : {}),
      diOrder: r.diOrder,
    });
    invariant(cjt.frameLength(wire) === wire.length, "frameLength of an encoded frame is its length");
    const reply = cjt.parseReadReply(cjt.decodeFrame(wire));
    invariant(reply.kind === "data", "a data reply");
    if (reply.kind !== "data") return;
    const d = reply.data;
    invariant(d.address === r.address && d.meterType === r.type && d.ser === r.ser, "header");
    invariant(d.diOrder === r.diOrder, "DI order");
    invariant(
      Math.round((d.current ?? Number.NaN) * 100) === r.current,
      `current ${d.current} != ${r.current / 100}`,
    );
    const t = r.time ? r.time.toISOString().slice(0, 19).replace("T", " ") : undefined;
    invariant(d.time === t, `time ${d.time} != ${t}`);
  },
};

// ---- drivers/common ------------------------------------------------------------------------------

type CommonCase =
  | { op: "bcd"; bytes: Uint8Array }
  | { op: "int"; value: number; length: number }
  | { op: "address"; address: string }
  | { op: "hex"; hex: string };

/** BCD, addresses and hex text: decode anything or a typed error; encode then decode is the identity. */
export const commonBcd: FuzzTarget<CommonCase> = {
  name: "common.bcd-hex",
  ciRuns: 2000,
  arbitrary: fc.oneof(
    fc.record({ op: fc.constant("bcd" as const), bytes: fc.uint8Array({ maxLength: 7 }) }),
    fc.record({
      op: fc.constant("int" as const),
      value: fc.oneof(fc.nat({ max: 99_999_999 }), fc.integer(), fc.double()),
      length: fc.integer({ min: 0, max: 7 }),
    }),
    fc.record({ op: fc.constant("address" as const), address: addressText(6) }),
    fc.record({
      op: fc.constant("hex" as const),
      hex: fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF :,-x\n"), maxLength: 60 }),
      ),
    }),
  ),
  run(r) {
    if (r.op === "bcd") {
      const n = bcdToInt(r.bytes, 0, "value", "fuzz");
      invariant(Number.isSafeInteger(n) && n >= 0, `BCD ${hexOf(r.bytes)} read as ${n}`);
      invariant(intToBcd(n, r.bytes.length).equals(Buffer.from(r.bytes)), "BCD bytes round trip");
    } else if (r.op === "int") {
      const enc = intToBcd(r.value, r.length);
      invariant(bcdToInt(enc, 0, "value", "fuzz") === r.value, `BCD ${r.value} round trip`);
    } else if (r.op === "address") {
      const good = /^[0-9Aa]{12}$/.test(r.address);
      try {
        invariant(wireToAddress(addressToWire(r.address, 6, "fuzz")) === r.address.toUpperCase(), "address");
      } catch (e) {
        invariant(!good, `a good address refused: ${r.address}`);
        throw e;
      }
    } else {
      const back = parseHex(r.hex);
      invariant(back.length * 2 <= r.hex.length, "parseHex length");
    }
  },
};
