import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { hex2 } from "../common/hex.js";

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
  return value * factor;
}
