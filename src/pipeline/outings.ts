import { isoWithOffset } from "../contract/timestamps.js";
import type { Reading } from "../core/readings.js";
import { SECOND_MS } from "../core/time.js";
import type { Activity } from "./activity.js";
import { RecentSigns, UP_WINDOW_MS } from "./activity-weights.js";
import type { AlertManager } from "./alerts.js";
import { inWindow } from "./inactivity.js";
import type { LocalClock, LocalTime } from "./local-time.js";
import type { ResolvedDetection } from "./options.js";
import type { MessageSink } from "./ports.js";

export interface OutingOptions {
  /** A door event followed by this long without a sign of anyone inside: the person is out. */
  settleMs: number;
  /** An outing longer than this raises `not_home` (rule `outing_day`). */
  maxDayMs: number;
  /** An outing that has lasted this long inside the sleep window raises `not_home` (`outing_night`). */
  sleepGraceMs: number;
  sleepStartMin: number;
  sleepEndMin: number;
  /** The entrance doors; empty: every device reporting `door`. Any other door is activity inside. */
  doors: readonly string[];
}

export interface OutingDeps {
  alerts: AlertManager;
  sink: Pick<MessageSink, "putEvent">;
  lc: LocalClock;
  timeZone: string;
}

/** The outing options out of the pipeline's resolved detection options. */
export function outingOptions(d: ResolvedDetection): OutingOptions {
  return {
    settleMs: d.outingSettleMs,
    maxDayMs: d.outingMaxDayMs,
    sleepGraceMs: d.outingSleepGraceMs,
    sleepStartMin: d.sleepStartMin,
    sleepEndMin: d.sleepEndMin,
    doors: d.outingDoors,
  };
}

/**
 * A meter's step is seen up to this long after the use that made it: a poll a minute apart, and
 * without a power register the power of energy deltas over 5 min (activity.ts `energyWindowMs`). A
 * step this soon after the door may be the tap or the kettle of just before leaving, and while
 * waiting to call a door event an outing it is not taken as someone inside (a PIR trigger still is).
 */
export const METER_LAG_MS = 5 * 60 * SECOND_MS;

/** `home`: no outing; `leaving`: a door event, waiting `settleMs` for a sign of anyone inside; `out`. */
export type OutingState = "home" | "leaving" | "out";

/**
 * Outings, seen by an entrance door sensor (a device reporting the `door` channel, 1 = open: those
 * listed in `doors`, or every one when none is listed; another door, a fridge's, is activity inside).
 *
 * - A door event (open or close) starts `leaving`. Any activity inside (water, a load switched on,
 *   motion, occupancy, a button) before `settleMs` has passed means someone is home: back to `home`.
 *   Any sign is enough here, because the safe side is "at home" (the silence rules stay armed); but
 *   not a load switching off, which machines do by themselves (a kettle, a rice cooker) after the
 *   person left.
 * - `settleMs` of nothing: `out` from the door event's time (`outing_started`). While out the silence is
 *   not counted (the inactivity verdicts are paused) and the routine does not learn those hours.
 * - The next door event ends the outing (`outing_ended`); so does activity inside that shows someone
 *   is up (`showsSomeoneUp`: a tap, a button, two power steps or repeated motion within 10 min), as a
 *   person may come back with the door unseen (a missed advert) or never have left. A single power
 *   step or PIR trigger does not: a thermostat or the sun on a PIR must not bring a person home.
 * - Coming in through the door is an opening and a closing: when an opening ended the outing, the
 *   closing that follows belongs to it and does not start a new `leaving`.
 * - An outing past `maxDayMs`, or lasting `sleepGraceMs` inside the sleep window, raises `not_home`
 *   once per outing (not while the watch is away); the person's return clears it (cause `activity`).
 *
 * The state is not persisted: after a restart the person is taken as home, the silence counting from
 * the start. A restart while out would then count the outing as silence, so when the pipeline resumes
 * (it ran before: `start(…, resumed)`), the start itself is taken as a door event of unknown direction:
 * if the door sensor reports closed before anything happens inside, the person is `leaving` since the start,
 * and out once nothing happened for `settleMs`. A person who fell inside just then is still found: by
 * `not_home` after `maxDayMs` at most, rather than by the silence rules.
 */
export class Outings {
  readonly #o: OutingOptions;
  readonly #d: OutingDeps;
  #state: OutingState = "home";
  /** The door of the event that started `leaving` / `out`, and that event's time. */
  #door = "";
  #sinceMono = 0;
  #sinceWall = 0;
  /** An opening ended the last outing: the closing that follows is the same passage. */
  #absorbClose = false;
  /** Activity seen inside while out, within the last window, for `showsSomeoneUp`. */
  readonly #signs = new RecentSigns(UP_WINDOW_MS);
  /** `not_home` was raised in this outing (once per outing). */
  #raised = false;
  /** Last value of each door sensor (1 open, 0 closed). */
  readonly #doorValue = new Map<string, number>();
  /** Set on a resumed start until the first door reading or activity: see the class comment. */
  #restart: { mono: number; wall: number } | undefined;

  constructor(o: OutingOptions, d: OutingDeps) {
    this.#o = o;
    this.#d = d;
  }

  get state(): OutingState {
    return this.#state;
  }

  /** The person is out: silence is not counted and the routine does not learn this time. */
  get out(): boolean {
    return this.#state === "out";
  }

  /** The pipeline starts; `resumed`: it ran before (a restart, not a first start or a replay). */
  start(nowMono: number, wallMs: number, resumed: boolean): void {
    this.#state = "home";
    this.#restart = resumed ? { mono: nowMono, wall: wallMs } : undefined;
    // A `not_home` still open from before the restart: the person is out; their return clears it
    // (out_s then counts from the restart, the only time known).
    const open = this.#d.alerts.findOpen("not_home");
    if (open?.device === undefined) return;
    this.#leave(open.device, nowMono, wallMs);
    this.#state = "out";
    this.#raised = true;
    this.#restart = undefined;
  }

  /** Every `door` reading, before its activity (a change of value) is handed to `activity`. */
  doorReading(r: Reading): void {
    if (r.channel !== "door" || !this.#entrance(r.device)) return;
    this.#doorValue.set(r.device, r.value);
    const restart = this.#restart;
    this.#restart = undefined;
    // A door at rest (closed); an open one is someone passing, whose closing will be a door event.
    if (restart && this.#state === "home" && r.value <= 0) this.#leave(r.device, restart.mono, restart.wall);
  }

  /** An activity at wall time `wallMs` (door events have source `door`). */
  activity(a: Activity, wallMs: number): void {
    this.#restart = undefined;
    if (a.source === "door" && this.#entrance(a.device)) {
      this.#doorEvent(a, wallMs);
      return;
    }
    if (this.#state === "leaving") {
      // A load switching off needs nobody: the kettle or the rice cooker the person left running.
      // A meter's step just after the door may be use from before it (see METER_LAG_MS).
      if (!a.switchedOff && !this.#meterLag(a)) this.#state = "home";
      return;
    }
    if (this.#state !== "out") return;
    if (this.#signs.add(a)) this.#end(a);
  }

  /** At every tick: `leaving` may become `out`; a long outing raises `not_home`. */
  check(nowMono: number, wallMs: number, local: LocalTime, away: boolean): void {
    if (this.#state === "leaving" && nowMono - this.#sinceMono >= this.#o.settleMs) {
      this.#state = "out";
      this.#signs.clear();
      this.#raised = false;
      this.#d.sink.putEvent({
        event: "outing_started",
        device: this.#door,
        data: { door: this.#door, out_since: this.#iso(this.#sinceWall) },
      });
    }
    if (this.#state !== "out" || this.#raised || away) return;
    if (nowMono - this.#sinceMono >= this.#o.maxDayMs) this.#raise("outing_day", nowMono);
    else if (this.#outInSleepWindowMs(wallMs, local) >= this.#o.sleepGraceMs)
      this.#raise("outing_night", nowMono);
  }

  /** A water or power step within `METER_LAG_MS` of the door event that began `leaving`. */
  #meterLag(a: Activity): boolean {
    return (a.source === "water" || a.source === "electricity") && a.mono - this.#sinceMono < METER_LAG_MS;
  }

  #entrance(device: string): boolean {
    return this.#o.doors.length === 0 || this.#o.doors.includes(device);
  }

  #doorEvent(a: Activity, wallMs: number): void {
    const open = (this.#doorValue.get(a.device) ?? 1) > 0;
    if (this.#state === "out") {
      this.#end(a);
      this.#absorbClose = open;
      return;
    }
    if (this.#absorbClose && !open) {
      this.#absorbClose = false;
      return;
    }
    this.#leave(a.device, a.mono, wallMs);
  }

  #leave(door: string, mono: number, wall: number): void {
    this.#state = "leaving";
    this.#door = door;
    this.#sinceMono = mono;
    this.#sinceWall = wall;
    this.#absorbClose = false;
  }

  #end(a: Activity): void {
    const outS = Math.round((a.mono - this.#sinceMono) / SECOND_MS);
    this.#state = "home";
    this.#signs.clear();
    this.#d.sink.putEvent({
      event: "outing_ended",
      device: this.#door,
      data: { door: this.#door, out_s: outS, by: { source: a.source, device: a.device } },
    });
    const open = this.#d.alerts.findOpen("not_home", this.#door);
    if (open)
      this.#d.alerts.transition(open.alert, "cleared", "activity", {
        out_s: outS,
        back: { source: a.source, device: a.device, detail: a.detail },
      });
  }

  #raise(rule: "outing_day" | "outing_night", nowMono: number): void {
    this.#raised = true;
    this.#d.alerts.raise(
      "not_home",
      {
        rule,
        out_since: this.#iso(this.#sinceWall),
        door: this.#door,
        out_s: Math.round((nowMono - this.#sinceMono) / SECOND_MS),
      },
      this.#door,
    );
  }

  /** How long the outing has lasted inside the current sleep window (0 outside it). */
  #outInSleepWindowMs(wallMs: number, local: LocalTime): number {
    const { sleepStartMin: start, sleepEndMin: end } = this.#o;
    if (!inWindow(local.minuteOfDay, start, end)) return 0;
    // A window that wraps midnight began yesterday when we are past midnight.
    const startDay = start <= end || local.minuteOfDay >= start ? local.day : local.day - 1;
    const from = Math.max(this.#sinceWall, this.#d.lc.wallOf(startDay, start));
    return wallMs - from;
  }

  #iso(wallMs: number): string {
    return isoWithOffset(wallMs, this.#d.timeZone);
  }
}
