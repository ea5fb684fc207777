import { createInterface } from "node:readline";
import { errorMessage, isHearthError } from "../core/errors.js";
import { loadCatalogue } from "../profiles/catalogue.js";
import type { DeviceProfile } from "../profiles/schema.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson } from "./io.js";

export const DECODE_PROTOCOLS = ["modbus", "dlt645", "cjt188", "bthome", "gatt"] as const;
export type DecodeProtocol = (typeof DECODE_PROTOCOLS)[number];

export interface DecodeOptions {
  request?: boolean;
  response?: boolean;
  tcp?: boolean;
  profile?: string;
  start?: string;
  mac?: string;
  key?: string;
  /** gatt: the characteristic (16-bit UUID or name); the value is then the input. */
  characteristic?: string;
}

type Decoder = (hex: string) => unknown;

function profileOf(id: string | undefined, protocol: DeviceProfile["protocol"]): DeviceProfile | undefined {
  if (id === undefined) return undefined;
  const p = loadCatalogue().profiles.get(id);
  if (!p) throw new CliExit(EXIT.usage, `hearth decode: no profile "${id}" in device-profiles/`);
  if (p.protocol !== protocol)
    throw new CliExit(EXIT.usage, `hearth decode: profile "${id}" is ${p.protocol}, not ${protocol}`);
  return p;
}

/** Each protocol's decoder, loaded lazily; all are pure and throw a HearthError naming what is wrong. */
async function decoderFor(protocol: DecodeProtocol, o: DecodeOptions): Promise<Decoder> {
  switch (protocol) {
    case "modbus": {
      if (o.request && o.response)
        throw new CliExit(EXIT.usage, "hearth decode: --request and --response exclude each other");
      const start = o.start === undefined ? undefined : Number(o.start);
      if (start !== undefined && (!Number.isInteger(start) || start < 0 || start > 0xffff))
        throw new CliExit(
          EXIT.usage,
          `hearth decode: --start must be a register address 0..65535, got ${o.start}`,
        );
      const profile = profileOf(o.profile, "modbus");
      const { decodeModbusFrame } = await import("../../drivers/modbus/decode.js");
      return (hex) =>
        decodeModbusFrame(hex, {
          ...(o.request ? { mode: "request" as const } : o.response ? { mode: "response" as const } : {}),
          ...(o.tcp ? { tcp: true } : {}),
          ...(profile?.protocol === "modbus" ? { profile } : {}),
          ...(start !== undefined ? { start } : {}),
        });
    }
    case "dlt645": {
      const profile = profileOf(o.profile, "dlt645");
      const { decodeDlt645Frame } = await import("../../drivers/dlt645/decode.js");
      return (hex) => decodeDlt645Frame(hex, profile?.protocol === "dlt645" ? { profile } : {});
    }
    case "cjt188": {
      const { decodeCjt188Frame } = await import("../../drivers/cjt188/decode.js");
      return (hex) => decodeCjt188Frame(hex);
    }
    case "gatt": {
      const { decodeGattValue } = await import("../../drivers/gatt-health/decode.js");
      const { findCharacteristic, CHARACTERISTICS } = await import(
        "../../drivers/gatt-health/characteristics.js"
      );
      const c = o.characteristic ?? "";
      if (!findCharacteristic(c))
        throw new CliExit(
          EXIT.usage,
          `hearth decode gatt: unknown characteristic "${c}" (one of ${CHARACTERISTICS.map((x) => `${x.uuid16} ${x.name}`).join(", ")})`,
        );
      return (hex) => decodeGattValue(c, hex);
    }
    case "bthome": {
      const { decodeBthomeAdvert } = await import("../../drivers/bthome/decode.js");
      return (hex) =>
        decodeBthomeAdvert(hex, {
          ...(o.mac !== undefined ? { mac: o.mac } : {}),
          ...(o.key !== undefined ? { key: o.key } : {}),
        });
    }
  }
}

/**
 * What is wrong and where. Codec errors carry the byte offset in their context, counted from the
 * frame's first byte (for DL/T 645 and CJ/T 188: from the 68 start byte, after any FE wake-up bytes),
 * and `offsetInMessage` when their message already names it; a message that does not gets it
 * appended. For those two protocols the base is said. A bad character of the hex text is named by
 * the message itself (`context.character`, no offset).
 */
function describeDecodeError(e: unknown, protocol: DecodeProtocol): string {
  if (!isHearthError(e)) return `unexpected error: ${errorMessage(e)}`;
  const offset = e.context.offset;
  if (typeof offset !== "number") return e.message;
  const named = e.context.offsetInMessage === true;
  if (protocol !== "dlt645" && protocol !== "cjt188")
    return named ? e.message : `${e.message} (at byte ${offset})`;
  return named
    ? `${e.message} (offsets count from the 68 start byte)`
    : `${e.message} (at byte ${offset}, counted from the 68 start byte)`;
}

/**
 * `hearth decode <protocol> <hex|->`: one frame to one JSON object; with `-`, a capture on stdin, one
 * frame per line, one JSON line each; a bad line prints `{ "line": n, "error": … }` and the run goes on.
 */
export async function decodeCommand(
  protocol: string,
  first: string,
  options: DecodeOptions,
  second?: string,
): Promise<void> {
  if (!(DECODE_PROTOCOLS as readonly string[]).includes(protocol))
    throw new CliExit(
      EXIT.usage,
      `hearth decode: unknown protocol "${protocol}" (one of ${DECODE_PROTOCOLS.join(", ")})`,
    );
  // `decode gatt <characteristic> <hex>`: one argument more than the other protocols take.
  if (protocol === "gatt" && second === undefined)
    throw new CliExit(
      EXIT.usage,
      "hearth decode gatt: give the characteristic and the value: gatt 2a35 <hex>",
    );
  if (protocol !== "gatt" && second !== undefined)
    throw new CliExit(EXIT.usage, `hearth decode ${protocol}: one frame argument only (got "${second}" too)`);
  const o: DecodeOptions = protocol === "gatt" ? { ...options, characteristic: first } : options;
  const input = protocol === "gatt" ? (second as string) : first;
  const decode = await decoderFor(protocol as DecodeProtocol, o);
  if (input !== "-") {
    try {
      printJson(decode(input));
    } catch (e) {
      throw new CliExit(
        EXIT.failed,
        `hearth decode ${protocol}: ${describeDecodeError(e, protocol as DecodeProtocol)}`,
      );
    }
    return;
  }
  let bad = 0;
  let n = 0;
  const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const raw of rl) {
    n++;
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    try {
      printJson(decode(line), false);
    } catch (e) {
      bad++;
      printJson({ line: n, error: describeDecodeError(e, protocol as DecodeProtocol) }, false);
    }
  }
  if (bad > 0)
    throw new CliExit(
      EXIT.failed,
      `hearth decode ${protocol}: ${bad} of the input's frames could not be decoded`,
    );
}
