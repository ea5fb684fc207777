import { ErrorCode, HearthError } from "../../src/core/errors.js";
import type { Dlt645Profile } from "../../src/profiles/dlt645.js";
import { skipWake } from "../common/frame.js";
import { hex2, parseHex, toHex } from "../common/hex.js";
import {
  bytesToDi,
  Control,
  ControlBit,
  decodeFrame,
  decodeValue,
  KNOWN_IDENTIFIERS,
  parseAddressReply,
  parseReadReply,
} from "./codec.js";

export type FieldValue = string | number | boolean | string[];

export interface DecodedDlt645Frame {
  protocol: "dlt645";
  kind: "request" | "response";
  fields: Record<string, FieldValue>;
  values: { name: string; value: number; unit: string }[];
}

const FUNCTIONS: Readonly<Record<number, string>> = {
  8: "broadcast time",
  17: "read data",
  18: "read follow-up data",
  19: "read address",
  20: "write data",
  21: "write address",
  22: "freeze",
  23: "change baud rate",
  24: "change password",
  25: "clear maximum demand",
  26: "clear meter",
  27: "clear events",
};

/**
 * One DL/T 645-2007 frame explained, for `hearth decode dlt645`: header fields, the identifier and, for
 * identifiers of the standard's table or of `profile`, the value. Invalid frames throw HearthError.
 */
export function decodeDlt645Frame(hex: string, opts: { profile?: Dlt645Profile } = {}): DecodedDlt645Frame {
  const bytes = parseHex(hex);
  const preamble = skipWake(bytes);
  // Decoded without its wake-up bytes, so every offset in an error counts from the 68 start byte.
  const f = decodeFrame(bytes.subarray(preamble));
  const fromMeter = (f.control & ControlBit.FromMeter) !== 0;
  const fields: Record<string, FieldValue> = {
    preamble,
    address: f.address,
    control: `0x${hex2(f.control)}`,
    function: FUNCTIONS[f.control & 0x1f] ?? `function 0x${hex2(f.control & 0x1f)}`,
    direction: fromMeter ? "meter → master" : "master → meter",
    length: f.data.length,
  };
  if (fromMeter) {
    fields.abnormal = (f.control & ControlBit.Abnormal) !== 0;
    fields.follow_up = (f.control & ControlBit.More) !== 0;
  }
  if (f.data.length > 0) fields.data = toHex(f.data);
  const values: DecodedDlt645Frame["values"] = [];
  const fn = f.control & 0x1f;
  if (!fromMeter && (fn === 0x11 || fn === 0x12) && f.data.length >= 4) {
    fields.di = bytesToDi(f.data);
    const known = KNOWN_IDENTIFIERS[fields.di];
    if (known) fields.di_name = known.name;
  } else if (f.control === Control.ReadAddressReply) {
    fields.meter_address = parseAddressReply(f);
  } else if (fromMeter && (fn === 0x11 || fn === 0x12)) {
    const r = parseReadReply(f);
    if (r.kind === "error") {
      fields.error = `0x${hex2(r.error)}`;
      fields.errors = r.errors;
    } else {
      fields.di = r.di;
      fields.value_bytes = toHex(r.value);
      const fromProfile = opts.profile?.dlt645.identifiers.find((i) => i.di === r.di);
      const known = KNOWN_IDENTIFIERS[r.di];
      if (fromProfile) {
        values.push({
          name: fromProfile.name,
          value: decodeValue(r.value, fromProfile, 14) * fromProfile.scale,
          unit: fromProfile.unit,
        });
      } else if (known) {
        fields.di_name = known.name;
        values.push({ name: known.name, value: decodeValue(r.value, known, 14), unit: known.unit });
      } else {
        // Without the identifier's format the value bytes mean nothing: say so, with the bytes.
        throw new HearthError(
          `DL/T 645: unknown data identifier ${r.di} at offset 10 (not in the standard's table${opts.profile ? ` or profile ${opts.profile.id}` : ""}); value bytes ${toHex(r.value) || "none"}`,
          ErrorCode.FrameUnsupported,
          { protocol: "DL/T 645", offset: 10, offsetInMessage: true, di: r.di },
        );
      }
    }
  }
  return { protocol: "dlt645", kind: fromMeter ? "response" : "request", fields, values };
}
