import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { hex2 } from "../common/hex.js";
import { scaled } from "../common/precision.js";

/** The unit table of CJ/T 188-2004, as data, and the conversion of volumes to m³. */

const P = "CJ/T 188";

/** Unit codes of the standard's unit table (flow, energy, power, volume). */
export const UNITS: Readonly<Record<number, string>> = {
  1: "J",
  2: "Wh",
  5: "kWh",
  8: "MWh",
  10: "MWh×100",
  11: "kJ",
  14: "MJ",
  17: "GJ",
  19: "GJ×100",
  20: "W",
  23: "kW",
  26: "MW",
  41: "L",
  44: "m3",
  50: "L/h",
  53: "m3/h",
};

/** m³ per unit, for the volume units a water meter may report its totals in. */
export const VOLUME_UNIT_M3: Readonly<Record<number, number>> = { 41: 0.001, 44: 1 };

/** Converts a flow in a volume unit code to m³; FrameUnsupported for units that are not volumes. */
export function toCubicMetres(value: number, unit: number): number {
  const factor = VOLUME_UNIT_M3[unit];
  if (factor === undefined)
    throw new HearthError(
      `${P}: unit code ${hex2(unit)} (${UNITS[unit] ?? "unknown"}) is not a volume`,
      ErrorCode.FrameUnsupported,
      { protocol: P, unit },
    );
  return scaled(value, factor);
}

/** Unit codes whose name carries a factor ("MWh×100"): the value in the plain unit instead. */
const HUNDREDS: Readonly<Record<number, string>> = { 10: "MWh", 19: "GJ" };

/**
 * A value with its unit code as a number and a unit name: heat meters send energy in kWh, MJ, GJ
 * and the like (CJ/T 188-2004 unit table). Unknown codes keep their code as the unit ("0x3f").
 */
export function withUnit(value: number, unit: number): { value: number; unit: string } {
  const plain = HUNDREDS[unit];
  if (plain !== undefined) return { value: scaled(value, 100), unit: plain };
  return { value, unit: UNITS[unit] ?? `0x${hex2(unit)}` };
}
