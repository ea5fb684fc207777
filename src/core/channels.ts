/**
 * Semantic channels: what a value means to the pipeline, whatever device or protocol produced it.
 * Each has one unit; a profile that maps a value to a channel must give that unit.
 */
export const CHANNELS = {
  energy_total_kwh: { unit: "kWh", kind: "counter" },
  power_w: { unit: "W", kind: "gauge" },
  voltage_v: { unit: "V", kind: "gauge" },
  current_a: { unit: "A", kind: "gauge" },
  frequency_hz: { unit: "Hz", kind: "gauge" },
  power_factor: { unit: "", kind: "gauge" },
  water_total_m3: { unit: "m3", kind: "counter" },
  water_flow_m3h: { unit: "m3/h", kind: "gauge" },
  battery_pct: { unit: "%", kind: "gauge" },
  temperature_c: { unit: "°C", kind: "gauge" },
  humidity_pct: { unit: "%", kind: "gauge" },
  illuminance_lx: { unit: "lx", kind: "gauge" },
  motion: { unit: "", kind: "binary" },
  occupancy: { unit: "", kind: "binary" },
  door: { unit: "", kind: "binary" },
  button: { unit: "", kind: "event" },
  fall: { unit: "", kind: "binary" },
  // Health monitors (Bluetooth SIG health services): sensitive, sent only where the home opted in.
  systolic_mmhg: { unit: "mmHg", kind: "gauge" },
  diastolic_mmhg: { unit: "mmHg", kind: "gauge" },
  mean_arterial_pressure_mmhg: { unit: "mmHg", kind: "gauge" },
  pulse_bpm: { unit: "bpm", kind: "gauge" },
  weight_kg: { unit: "kg", kind: "gauge" },
  bmi: { unit: "kg/m2", kind: "gauge" },
  body_temperature_c: { unit: "°C", kind: "gauge" },
  spo2_pct: { unit: "%", kind: "gauge" },
} as const;

/** The channels a health monitor reports: they go through `ReadingSink.health`, never `readings`. */
export const HEALTH_CHANNELS = [
  "systolic_mmhg",
  "diastolic_mmhg",
  "mean_arterial_pressure_mmhg",
  "pulse_bpm",
  "weight_kg",
  "bmi",
  "body_temperature_c",
  "spo2_pct",
] as const satisfies readonly (keyof typeof CHANNELS)[];
export type HealthChannel = (typeof HEALTH_CHANNELS)[number];

export type Channel = keyof typeof CHANNELS;
export const CHANNEL_NAMES = Object.keys(CHANNELS) as [Channel, ...Channel[]];

/** The events a button reports (BTHome's button object names them the same way). */
export const BUTTON_EVENTS = [
  "press",
  "double_press",
  "triple_press",
  "long_press",
  "long_double_press",
  "long_triple_press",
  "hold_press",
] as const;
export type ButtonEvent = (typeof BUTTON_EVENTS)[number];

export function channelUnit(c: Channel): string {
  return CHANNELS[c].unit;
}
