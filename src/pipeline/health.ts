/**
 * Health monitors' measurements (blood pressure, weight, temperature, SpO2), where the home opted in:
 * each is telemetry at the device's own time, part of the day's record, and checked against the care
 * plan's limits — a reading outside one raises a `health` alert that says which reading and which
 * limit, never what it means. A regular measurement the plan asks for and that did not come is an
 * event for the carer, not an alarm. Values are never logged here.
 */
import type { HealthConfig } from "../config/health-schema.js";
import type { SummaryBody } from "../contract/messages.js";
import { isoWithOffset } from "../contract/timestamps.js";
import { channelUnit } from "../core/channels.js";
import type { HealthReading } from "../core/readings.js";
import { DAY_MS } from "../core/time.js";
import type { Activity } from "./activity.js";
import type { AlertManager } from "./alerts.js";
import type { DailyRecord } from "./daily-record.js";
import { LocalClock, type LocalTime } from "./local-time.js";
import type { MessageSink } from "./ports.js";

export type HealthDayEntry = NonNullable<SummaryBody["health"]>[number];
export type { HealthReading };

export interface HealthRecorderOptions {
  alerts: AlertManager;
  sink: MessageSink;
  /** The day's record, which lists the day's readings. */
  daily: DailyRecord;
  timeZone: string;
  config: HealthConfig;
}

/** The home's recorder, or undefined where it did not opt in to health monitors. */
export function healthRecorderFor(
  o: { health?: HealthConfig; timeZone: string },
  alerts: AlertManager,
  sink: MessageSink,
  daily: DailyRecord,
): HealthRecorder | undefined {
  const config = o.health;
  return config?.enabled
    ? new HealthRecorder({ alerts, sink, daily, timeZone: o.timeZone, config })
    : undefined;
}

export class HealthRecorder {
  readonly #o: HealthRecorderOptions;
  readonly #lc: LocalClock;
  /** Wall time of the last regular measurement (0: none yet since start). */
  #lastRegular = 0;
  /** The local day whose missed measurement was already said (so it is said once). */
  #missedSaidFor = -1;
  #startedWall = 0;

  constructor(o: HealthRecorderOptions) {
    this.#o = o;
    this.#lc = new LocalClock(o.timeZone);
  }

  start(wall: number): void {
    this.#startedWall = wall;
  }

  /** One measurement; `activity` hears that someone used the device. */
  record(r: HealthReading, activity: (a: Activity) => void): void {
    const tz = this.#o.timeZone;
    const at = isoWithOffset(r.atWallMs, tz);
    this.#o.sink.putTelemetry({
      device: r.device,
      at,
      values: r.values.map((v) => ({ channel: v.channel, value: v.value, unit: channelUnit(v.channel) })),
    });
    for (const v of r.values)
      this.#o.daily.health({
        at,
        device: r.device,
        channel: v.channel,
        value: v.value,
        unit: channelUnit(v.channel),
      });
    const regular = this.#o.config.regular;
    if (regular && (regular.devices.length === 0 || regular.devices.includes(r.device)))
      this.#lastRegular = Math.max(this.#lastRegular, r.atWallMs);
    const outside = this.#outside(r);
    if (outside.length > 0)
      this.#o.alerts.raise(
        "health",
        {
          readings: outside,
          measured_at: at,
          ...(r.receiveTime ? { time: "received (the device's clock is not set)" } : {}),
          ...(r.flags.length > 0 ? { device_flags: r.flags } : {}),
          note: "a reading outside the limits of the care plan; not a diagnosis",
        },
        r.device,
      );
    activity({ device: r.device, source: "health", strength: 1, mono: r.mono, detail: "health measurement" });
  }

  #outside(r: HealthReading): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const v of r.values) {
      const limit = this.#o.config.limits[v.channel];
      if (!limit) continue;
      const high = limit.at_least !== undefined && v.value >= limit.at_least;
      const low = limit.at_most !== undefined && v.value <= limit.at_most;
      if (!high && !low) continue;
      out.push({
        channel: v.channel,
        value: v.value,
        unit: channelUnit(v.channel),
        limit: high ? { at_least: limit.at_least } : { at_most: limit.at_most },
      });
    }
    return out;
  }

  /**
   * Once a minute: with a daily plan, past `by` with no measurement since local midnight; with a longer
   * one, no measurement for `every`. Said once per day as a `health_measurement_missed` event.
   */
  check(wall: number, local: LocalTime): void {
    const regular = this.#o.config.regular;
    if (!regular || local.day === this.#missedSaidFor) return;
    let missed: boolean;
    if (regular.every <= DAY_MS) {
      const today = this.#lastRegular > 0 && this.#lc.at(this.#lastRegular).day === local.day;
      missed = local.minuteOfDay >= regular.by && !today;
    } else {
      const since = Math.max(this.#lastRegular, this.#startedWall);
      missed = wall - since >= regular.every;
    }
    if (!missed) return;
    this.#missedSaidFor = local.day;
    this.#o.sink.putEvent({
      event: "health_measurement_missed",
      data: {
        expected_every_h: Math.round(regular.every / 3_600_000),
        last_measurement: this.#lastRegular > 0 ? isoWithOffset(this.#lastRegular, this.#o.timeZone) : null,
        note: "the regular measurement of the care plan did not arrive; a reminder for the carer, not an alarm",
      },
    });
  }
}
