import type { AlertBody, SummaryBody } from "../contract/messages.js";
import { isoWithOffset } from "../contract/timestamps.js";
import type { AlertRecord } from "./alerts.js";
import type { DayUse } from "./device-registry.js";
import { LocalClock, type LocalTime } from "./local-time.js";
import type { MessageSink } from "./ports.js";

type DayAlert = { alert: string; kind: AlertBody["kind"]; state: AlertBody["state"] };

/**
 * The record of one local day, sent as the daily summary: activity by hour, the first and last
 * activity, every alert touched that day (in its latest state), and the water and energy used.
 */
export class DailyRecord {
  /** The local day recorded (days since 1970-01-01); -1 before the start. */
  #day = -1;
  #byHour: number[] = new Array<number>(24).fill(0);
  #firstWall = 0;
  #lastWall = 0;
  /** Alerts touched today (alert id → kind and latest state). */
  readonly #alerts = new Map<string, DayAlert>();
  /** The day's health readings (only where the home opted in; see health.ts). */
  #health: NonNullable<SummaryBody["health"]> = [];

  constructor(readonly timeZone: string) {}

  get day(): number {
    return this.#day;
  }

  /** The record is now of local day `day`. */
  setDay(day: number): void {
    this.#day = day;
  }

  /** An activity at `wallMs` (local time `local`); one from another day than the record's is not counted. */
  activity(wallMs: number, local: LocalTime): void {
    if (local.day !== this.#day) return;
    this.#byHour[local.hour] = (this.#byHour[local.hour] as number) + 1;
    if (this.#firstWall === 0) this.#firstWall = wallMs;
    this.#lastWall = wallMs;
  }

  /** An alert state was written. */
  /** `sink`, with every alert state written also remembered for the day's record. */
  recording(sink: MessageSink): MessageSink {
    return {
      putAlert: (b) => {
        sink.putAlert(b);
        this.alert(b);
      },
      putEvent: (b) => sink.putEvent(b),
      putTelemetry: (b) => sink.putTelemetry(b),
      putSummary: (b) => sink.putSummary(b),
    };
  }

  health(entry: NonNullable<SummaryBody["health"]>[number]): void {
    this.#health.push(entry);
  }

  alert(b: AlertBody): void {
    this.#alerts.set(b.alert, { alert: b.alert, kind: b.kind, state: b.state });
  }

  /** The day's summary; `meterValues` false leaves water and energy out (privacy). */
  summary(use: DayUse, meterValues: boolean): SummaryBody {
    const tz = this.timeZone;
    return {
      date: LocalClock.dateOf(this.#day),
      first_activity: this.#firstWall ? isoWithOffset(this.#firstWall, tz) : null,
      last_activity: this.#lastWall ? isoWithOffset(this.#lastWall, tz) : null,
      active_hours: this.#byHour.filter((n) => n > 0).length,
      activity_by_hour: [...this.#byHour],
      alerts: [...this.#alerts.values()],
      ...(meterValues && use.waterM3 !== undefined
        ? { water_m3: Math.round(use.waterM3 * 1000) / 1000 }
        : {}),
      ...(meterValues && use.energyKwh !== undefined
        ? { energy_kwh: Math.round(use.energyKwh * 1000) / 1000 }
        : {}),
      ...(this.#health.length > 0 ? { health: [...this.#health] } : {}),
    };
  }

  /** Empties the record for the next day; alerts still open carry over into it. */
  clear(open: readonly AlertRecord[]): void {
    this.#byHour.fill(0);
    this.#firstWall = 0;
    this.#lastWall = 0;
    this.#alerts.clear();
    this.#health = [];
    for (const a of open) this.#alerts.set(a.alert, { alert: a.alert, kind: a.kind, state: a.state });
  }
}
