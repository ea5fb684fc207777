import type { ModbusProfile } from "../../src/profiles/modbus.js";
import { parseHex } from "../common/hex.js";
import { EXPLAINED_FUNCTIONS, type ExplainedValue, explainRequest, explainResponse } from "./explain.js";
import { interpretRegisters, type RegisterInterpretation } from "./interpret.js";
import { decodeTcp } from "./mbap.js";
import {
  decodeRequestPdu,
  decodeResponsePdu,
  isException,
  type ModbusRequest,
  type ModbusResponse,
} from "./pdu.js";
import { decodeRtu } from "./rtu.js";
import { FUNCTION_NAMES } from "./tables.js";
import { decodeValue, registerWords } from "./values.js";

export interface DecodeModbusOptions {
  /** Which side sent the frame; guessed from its shape when omitted. */
  mode?: "request" | "response";
  /** MBAP (Modbus TCP) framing instead of RTU. */
  tcp?: boolean;
  /** With `start`, turns a read response's registers into named values. */
  profile?: ModbusProfile;
  /** Register address the response's first register came from (a response does not carry it). */
  start?: number;
}

export type FieldValue = ExplainedValue;

export interface DecodedModbusFrame {
  protocol: "modbus";
  kind: "request" | "response";
  fields: Record<string, FieldValue>;
  values: Array<{ name: string; value: number; unit: string }>;
  /** A register reply without a profile: what each register (and pair) could mean. */
  interpretations?: RegisterInterpretation[];
}

/**
 * Request or response, from the PDU's shape (RTU frames do not say which). Functions 5, 6 and 8 answer
 * with an echo of the request, so their frames read as requests unless --response says otherwise.
 */
function guessKind(pdu: Buffer): "request" | "response" {
  const fc = pdu[0] ?? 0;
  if (fc & 0x80) return "response";
  switch (fc) {
    case 1:
    case 2: {
      // 5 bytes is a request, or a response of 3 status bytes: a request's quantity is 1..2000.
      if (pdu.length !== 5) return "response";
      const quantity = pdu.readUInt16BE(3);
      return pdu[1] === 3 && (quantity < 1 || quantity > 2000) ? "response" : "request";
    }
    case 3:
    case 4:
      // A read request is 5 bytes; a response is 2 + an even byte count, never 5.
      return pdu.length === 5 ? "request" : "response";
    case 15:
    case 16:
      return pdu.length === 5 ? "response" : "request";
    case 23:
      return pdu.length === 2 + (pdu[1] ?? -1) ? "response" : "request";
    case 43:
      return pdu.length === 4 ? "request" : "response";
    default:
      return "request";
  }
}

/**
 * Decodes one Modbus frame for `hearth decode modbus`: every header field, and for a read response
 * the raw registers plus, given `profile` and `start`, the profile's named and scaled values.
 * Invalid frames throw HearthError (FrameXxx) saying what is wrong and at which byte.
 */
export function decodeModbusFrame(hex: string, opts: DecodeModbusOptions = {}): DecodedModbusFrame {
  const frame = parseHex(hex);
  const fields: Record<string, FieldValue> = {};
  let pdu: Buffer;
  let base: number;
  if (opts.tcp) {
    const adu = decodeTcp(frame);
    fields.transaction_id = adu.transactionId;
    fields.protocol_id = 0;
    fields.length = frame.readUInt16BE(4);
    fields.unit = adu.unit;
    pdu = adu.pdu;
    base = 7;
  } else {
    const adu = decodeRtu(frame);
    fields.unit = adu.unit;
    fields.crc = `0x${frame
      .readUInt16LE(frame.length - 2)
      .toString(16)
      .padStart(4, "0")}`;
    fields.crc_ok = true;
    pdu = adu.pdu;
    base = 1;
  }
  const kind = opts.mode ?? guessKind(pdu);
  const values: DecodedModbusFrame["values"] = [];
  const fc = pdu[0] ?? 0;
  const explained = EXPLAINED_FUNCTIONS.has(fc);
  if (explained) {
    fields.function = fc;
    fields.function_name = FUNCTION_NAMES[fc] as string;
  }
  if (kind === "request") {
    if (explained) Object.assign(fields, explainRequest(pdu, base, frame));
    else describeRequest(decodeRequestPdu(pdu, base, frame), fields);
    return { protocol: "modbus", kind, fields, values };
  }
  if (explained) Object.assign(fields, explainResponse(pdu, base, frame));
  else describeResponse(decodeResponsePdu(pdu, base, frame), fields);
  const regs = fields.exception === true ? undefined : (fields.registers as number[] | undefined);
  if (!regs) return { protocol: "modbus", kind, fields, values };
  if (!opts.profile)
    return {
      protocol: "modbus",
      kind,
      fields,
      values,
      interpretations: interpretRegisters(regs, opts.start),
    };
  if (opts.start !== undefined) {
    // Function 23 reads holding registers, like 3.
    const table = fc === 4 ? "input" : "holding";
    for (const reg of opts.profile.modbus.registers) {
      const off = reg.address - opts.start;
      if (reg.table !== table || off < 0 || off + registerWords(reg.type) > regs.length) continue;
      values.push({
        name: reg.name,
        value: decodeValue(reg, regs.slice(off, off + registerWords(reg.type))),
        unit: reg.unit,
      });
    }
  }
  return { protocol: "modbus", kind, fields, values };
}

function describeRequest(req: ModbusRequest, fields: Record<string, FieldValue>): void {
  fields.function = req.fc;
  fields.function_name = FUNCTION_NAMES[req.fc] ?? `function ${req.fc}`;
  fields.address = req.address;
  if ("quantity" in req) fields.quantity = req.quantity;
  else if ("value" in req) fields.value = req.value;
  else {
    fields.quantity = req.values.length;
    fields.byte_count = 2 * req.values.length;
    fields.values = req.values;
  }
}

function describeResponse(res: ModbusResponse, fields: Record<string, FieldValue>): void {
  fields.function = res.fc;
  fields.function_name = FUNCTION_NAMES[res.fc] ?? `function ${res.fc}`;
  if (isException(res)) {
    fields.exception = true;
    fields.exception_code = res.exception;
    fields.exception_name = res.exceptionName;
    return;
  }
  if ("registers" in res) {
    fields.byte_count = 2 * res.registers.length;
    fields.registers = res.registers;
  } else if ("value" in res) {
    fields.address = res.address;
    fields.value = res.value;
  } else if ("quantity" in res) {
    fields.address = res.address;
    fields.quantity = res.quantity;
  }
}
