/** Modbus: RTU and TCP framing, request and response PDUs, register values, and the CLI's decoder. */
import fc from "fast-check";
import { decodeModbusFrame } from "../../drivers/modbus/decode.js";
import { decodeTcp, encodeTcp, tcpFrameLength } from "../../drivers/modbus/mbap.js";
import {
  decodeRequestPdu,
  decodeResponsePdu,
  encodeRequestPdu,
  encodeResponsePdu,
  type ModbusRequest,
  type ModbusResponse,
} from "../../drivers/modbus/pdu.js";
import { decodeRtu, encodeRtu, rtuRequestLength, rtuResponseLength } from "../../drivers/modbus/rtu.js";
import { decodeValue, encodeValue, type RegisterFormat, registerWords } from "../../drivers/modbus/values.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { MODBUS_TYPES, type ModbusProfile } from "../../src/profiles/modbus.js";
import { type FuzzTarget, invariant, mutated } from "./harness.js";

const u16 = fc.integer({ min: 0, max: 0xffff });
const unit = fc.integer({ min: 0, max: 255 });

const request: fc.Arbitrary<ModbusRequest> = fc.oneof(
  fc
    .record({
      fc: fc.constantFrom(3 as const, 4 as const),
      address: u16,
      quantity: fc.integer({ min: 1, max: 125 }),
    })
    .filter((r) => r.address + r.quantity <= 0x10000),
  fc.record({ fc: fc.constant(6 as const), address: u16, value: u16 }),
  fc.record({
    fc: fc.constant(16 as const),
    address: u16,
    values: fc.array(u16, { minLength: 1, maxLength: 123 }),
  }),
);

const response: fc.Arbitrary<ModbusResponse> = fc.oneof(
  fc.record({ fc: fc.constantFrom(3 as const, 4 as const), registers: fc.array(u16, { maxLength: 125 }) }),
  fc.record({ fc: fc.constant(6 as const), address: u16, value: u16 }),
  fc.record({ fc: fc.constant(16 as const), address: u16, quantity: u16 }),
  fc
    .record({ fc: fc.integer({ min: 1, max: 127 }), exception: fc.integer({ min: 0, max: 255 }) })
    .map((r) => ({ ...r, exceptionName: "" })),
);

const pdu = fc.oneof(request.map(encodeRequestPdu), response.map(encodeResponsePdu));
const rtuFrame = fc.tuple(unit, pdu).map(([u, p]) => encodeRtu(u, p));
const tcpFrame = fc.tuple(u16, unit, pdu).map(([t, u, p]) => encodeTcp(t, u, p));

let profile: ModbusProfile | undefined;
function sdm120(): ModbusProfile {
  if (!profile) {
    const p = loadCatalogue().profiles.get("eastron-sdm120");
    if (p?.protocol !== "modbus") throw new Error("fuzz setup: no modbus profile eastron-sdm120");
    profile = p;
  }
  return profile;
}

/**
 * Frames off the line (valid, edited with the CRC fixed up so the PDU decoder is reached, or noise),
 * through `hearth decode modbus` in every mode, and the line's frame-length functions.
 */
export const modbusDecode: FuzzTarget<{
  bytes: Uint8Array;
  tcp: boolean;
  mode?: "request" | "response";
  start?: number;
}> = {
  name: "modbus.decode",
  ciRuns: 2000,
  arbitrary: fc.record(
    {
      bytes: fc.oneof(
        fc.uint8Array({ maxLength: 260 }),
        rtuFrame,
        tcpFrame,
        mutated(tcpFrame),
        mutated(rtuFrame),
        // Edited PDUs inside a good CRC: past the checksum, into the PDU decoders.
        fc.tuple(unit, mutated(pdu)).map(([u, p]) => encodeRtu(u, Buffer.from(p))),
      ),
      tcp: fc.boolean(),
      mode: fc.constantFrom("request" as const, "response" as const),
      start: fc.oneof(u16, fc.integer({ min: 0, max: 400 })),
    },
    { requiredKeys: ["bytes", "tcp"] },
  ),
  run({ bytes, tcp, mode, start }) {
    const b = Buffer.from(bytes);
    for (const [n, what] of [
      [rtuRequestLength(b), "rtuRequestLength"],
      [rtuResponseLength(b), "rtuResponseLength"],
      [tcpFrameLength(b), "tcpFrameLength"],
    ] as const)
      invariant(Number.isInteger(n) && n >= -1, `${what}: ${n}`);
    const d = decodeModbusFrame(b.toString("hex"), {
      tcp,
      ...(mode ? { mode } : {}),
      ...(start !== undefined ? { start, profile: sdm120() } : {}),
    });
    invariant(d.kind === "request" || d.kind === "response", "kind");
  },
};

/** PDUs, RTU and TCP ADUs: decode(encode(x)) is x. */
export const modbusRoundTrip: FuzzTarget<{
  req: ModbusRequest;
  res: ModbusResponse;
  unit: number;
  tid: number;
}> = {
  name: "modbus.roundtrip",
  ciRuns: 1000,
  arbitrary: fc.record({ req: request, res: response, unit, tid: u16 }),
  run({ req, res, unit: u, tid }) {
    const p = encodeRequestPdu(req);
    invariant(JSON.stringify(decodeRequestPdu(p)) === JSON.stringify(req), "request PDU round trip");
    const rtu = decodeRtu(encodeRtu(u, p));
    invariant(rtu.unit === u && rtu.pdu.equals(p), "RTU round trip");
    const tcp = decodeTcp(encodeTcp(tid, u, p));
    invariant(tcp.transactionId === tid && tcp.unit === u && tcp.pdu.equals(p), "TCP round trip");
    const back = decodeResponsePdu(encodeResponsePdu(res));
    if ("exception" in res) {
      invariant("exception" in back && back.fc === res.fc && back.exception === res.exception, "exception");
    } else {
      invariant(JSON.stringify(back) === JSON.stringify(res), "response PDU round trip");
    }
  },
};

const format: fc.Arbitrary<RegisterFormat> = fc.record({
  type: fc.constantFrom(...MODBUS_TYPES),
  word_order: fc.constantFrom("big" as const, "little" as const),
  byte_order: fc.constantFrom("big" as const, "little" as const),
  scale: fc.oneof(fc.constantFrom(1, 0.1, 0.01, 0.001, 10), fc.double()),
});

/** Any words in any format: a number (or a typed error for the wrong count); words → value → words holds. */
export const modbusValues: FuzzTarget<{ f: RegisterFormat; words: number[] }> = {
  name: "modbus.values",
  ciRuns: 2000,
  arbitrary: fc.oneof(
    // Mostly the right number of words for the type, so the decoders are reached, not the count check.
    {
      weight: 4,
      arbitrary: format.chain((f) =>
        fc.record({
          f: fc.constant(f),
          words: fc.array(u16, { minLength: registerWords(f.type), maxLength: registerWords(f.type) }),
        }),
      ),
    },
    { weight: 1, arbitrary: fc.record({ f: format, words: fc.array(u16, { maxLength: 5 }) }) },
  ),
  run({ f, words }) {
    const v = decodeValue(f, words);
    invariant(typeof v === "number", "a number");
    if (f.scale !== 1 || words.length !== registerWords(f.type)) return;
    // Unscaled: the words a device sends come back exactly, NaN payloads and 64-bit integers past 2^53 aside.
    if (!Number.isFinite(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) return;
    const again = encodeValue(f, v);
    invariant(JSON.stringify(again) === JSON.stringify(words), `${f.type} ${words} → ${v} → ${again}`);
  },
};
