import { hex2 } from "../common/hex.js";

/**
 * Data identifiers (DI) of CJ/T 188-2004, as data, for `hearth decode cjt188`. The standard writes a
 * DI as four hex digits ("901F") and sends DI0 then DI1 — 90 then 1F; some masters and meters send
 * them the other way round (1F 90), so a DI read in the other byte order is shown with the one it means.
 * 901F and 810A are confirmed by public implementations (fox-edge-server-protocol cjt188, python_cjt188);
 * the others follow the standard's DI table as we know it, not checked against a copy of it.
 */
export const DI_NAMES: Readonly<Record<number, string>> = {
  36895: "metering data",
  33026: "price table",
  33027: "settlement day",
  33028: "reading day",
  33029: "purchase amount",
  33030: "key version",
  33034: "meter address",
  40976: "write price table",
  40977: "write settlement day",
  40978: "write reading day",
  40979: "write purchase amount",
  40980: "write new key",
  40981: "write standard time",
  40982: "write meter synchronisation data",
  40983: "valve control",
  40984: "write address",
  40985: "factory start",
};
// D120..D12B: the metering data of the 1st..12th month before.
for (let m = 1; m <= 12; m++)
  (DI_NAMES as Record<number, string>)[0xd11f + m] = `metering data of month −${m}`;

export interface ReadDi {
  /** The identifier as the standard writes it ("901F"). */
  di: string;
  /** Its name, when it is one we know. */
  name?: string;
  /** How its bytes were sent: standard (90 1F) or swapped (1F 90). */
  order: "standard" | "swapped";
  /** The two bytes as they came, when swapped ("1F90"). */
  sent?: string;
}

/**
 * The DI of two data bytes: as sent when that is a known DI (or neither order is), otherwise the
 * swapped reading when that one is known.
 */
export function readDi(b0: number, b1: number): ReadDi {
  const standard = (b0 << 8) | b1;
  const swapped = (b1 << 8) | b0;
  const text = (v: number) => v.toString(16).toUpperCase().padStart(4, "0");
  if (DI_NAMES[standard] !== undefined || DI_NAMES[swapped] === undefined) {
    const name = DI_NAMES[standard];
    return { di: text(standard), order: "standard", ...(name ? { name } : {}) };
  }
  return {
    di: text(swapped),
    name: DI_NAMES[swapped] as string,
    order: "swapped",
    sent: `${hex2(b0)}${hex2(b1)}`.toUpperCase(),
  };
}
