import type { MeterData } from "./codec.js";
import { isHeatMeter } from "./reply-901f.js";
import { toCubicMetres, VOLUME_UNIT_M3, withUnit } from "./units.js";

export interface NamedValue {
  name: string;
  value: number;
  unit: string;
}

/**
 * The named values of a 901F reply, shared by the driver and `hearth decode`: volumes in m³ whatever
 * unit the meter used, heat in the unit it sent (kWh, MJ, GJ, …), temperatures in °C. A field the
 * meter sent as FF… or left out is absent — never 0.
 */
export function meterValues(d: MeterData): NamedValue[] {
  const out: NamedValue[] = [];
  const heat = isHeatMeter(d.meterType);
  const counter = (name: string, value: number | undefined, unit: number | undefined) => {
    if (value === undefined || unit === undefined) return;
    if (VOLUME_UNIT_M3[unit] !== undefined) out.push({ name, value: toCubicMetres(value, unit), unit: "m3" });
    else if (heat) out.push({ name, ...withUnit(value, unit) });
    // A water or gas meter's total in a unit that is not a volume: shown by decode, not a value.
  };
  counter(heat ? "current_heat" : "current_flow", d.current, d.currentUnit);
  counter(heat ? "settlement_heat" : "settlement_flow", d.settlement, d.settlementUnit);
  const h = d.heat;
  if (h?.power) out.push({ name: "heat_power", ...withUnit(h.power.value, h.power.unit) });
  if (h?.flowRate) out.push({ name: "flow_rate", ...withUnit(h.flowRate.value, h.flowRate.unit) });
  if (h?.volume) counter("accumulated_flow", h.volume.value, h.volume.unit);
  if (h?.supplyC !== undefined) out.push({ name: "supply_temperature", value: h.supplyC, unit: "°C" });
  if (h?.returnC !== undefined) out.push({ name: "return_temperature", value: h.returnC, unit: "°C" });
  if (h?.workingHours !== undefined) out.push({ name: "working_hours", value: h.workingHours, unit: "h" });
  if (d.status) {
    out.push({ name: "valve_closed", value: d.status.valve === "closed" ? 1 : 0, unit: "" });
    out.push({ name: "battery_low", value: d.status.batteryLow ? 1 : 0, unit: "" });
  }
  return out;
}
