import type { EventBody } from "../contract/messages.js";
import { isoWithOffset } from "../contract/timestamps.js";
import type { Clock } from "../core/clock.js";
import type { IdSource } from "../core/ids.js";
import { MINUTE_MS, SECOND_MS } from "../core/time.js";
import type { Activity } from "./activity.js";
import { showsSomeoneUp, weightOf } from "./activity-weights.js";
import { inWindow } from "./inactivity.js";
import { findingRule, type InactivityFinding } from "./inactivity-verdicts.js";
import type { LocalTime } from "./local-time.js";
import type { ResolvedDetection } from "./options.js";
import type { PrealarmPrompt } from "./ports.js";

/** The most activity listed in a pre-alarm's evidence (the first ones: what the person did first). */
const MAX_LISTED = 20;

export interface PrealarmOptions {
  clock: Clock;
  ids: IdSource;
  timeZone: string;
  putEvent: (b: EventBody) => void;
  prompt?: PrealarmPrompt | undefined;
  /** Lights (or a television) on now, for `inSleep: lights_on`. */
  lightsOn: () => boolean;
  /** Raises the inactivity alert of a finding with more evidence; returns its id. */
  raise: (f: InactivityFinding, extra: Record<string, unknown>) => string;
  /**
   * The silence starts again now (after a cancel, as after activity); `ordinary`: the person said
   * they are fine, so the silence so far was an ordinary one (the usual stillness learns it).
   */
  restartSilence: (ordinary: boolean) => void;
}

interface Pending {
  id: string;
  finding: InactivityFinding;
  startedMono: number;
  startedWall: number;
  spoken: boolean;
  seen: Activity[];
}

/**
 * "Are you all right?" before an inactivity alert. A finding starts a pre-alarm (event
 * `prealarm_started`, the prompt spoken) instead of the alert; for `waitMs` the activity seen is kept.
 * It is cancelled by "I am fine" or by activity that shows someone is up (`showsSomeoneUp`: one strong
 * event, two medium, three motion or motion on two devices) — never by one PIR trigger, which a person
 * on the floor can still cause. Unanswered, the alert is raised with the pre-alarm in its evidence.
 * A call button's single press while it waits raises the call (by the pipeline, as always) and ends the
 * pre-alarm into that call: see `call`.
 *
 * Nothing of a pending pre-alarm is stored: after a restart the silence starts again anyway (the
 * verdicts restart it), so the same silence would first have to last again before a new one.
 */
export class Prealarm {
  readonly #o: PrealarmOptions;
  readonly #d: Pick<
    ResolvedDetection,
    "prealarmWaitMs" | "prealarmInSleep" | "sleepStartMin" | "sleepEndMin"
  >;
  #p: Pending | undefined;

  constructor(d: ResolvedDetection, o: PrealarmOptions) {
    this.#o = o;
    this.#d = d;
  }

  get pending(): boolean {
    return this.#p !== undefined;
  }

  /**
   * A finding that would raise `inactivity`: raised at once when the pre-alarm is off, or inside the
   * sleep window unless the setting (and, for `lights_on`, the lights) say to ask; else asked.
   */
  finding(f: InactivityFinding, local: LocalTime): void {
    const o = this.#o;
    if (this.#p) return;
    if (this.#d.prealarmWaitMs <= 0 || !this.#asks(f, local)) {
      o.raise(f, {});
      return;
    }
    const id = o.ids.next("alert");
    const spoken = o.prompt?.audible ?? false;
    this.#p = {
      id,
      finding: f,
      startedMono: o.clock.monotonicMs(),
      startedWall: o.clock.wallMs(),
      spoken,
      seen: [],
    };
    o.putEvent({
      event: "prealarm_started",
      data: {
        prealarm: id,
        rule: findingRule(f),
        wait_s: Math.round(this.#d.prealarmWaitMs / SECOND_MS),
        spoken,
        silence_s: Math.round(f.verdict.silenceMs / SECOND_MS),
      },
    });
    o.prompt?.ask(id);
  }

  /** Activity while it waits: kept, and the pre-alarm is cancelled once it shows someone is up. */
  activity(a: Activity): void {
    const p = this.#p;
    if (!p) return;
    p.seen.push(a);
    const up = showsSomeoneUp(p.seen);
    if (!up) return;
    const detail = `${up.class}: ${up.events} event${up.events === 1 ? "" : "s"} on ${up.devices.join(", ")}`;
    this.#cancel("activity", a.device, detail);
  }

  /** The "I am fine" action: cancels a waiting pre-alarm (true), or there was none (false). */
  iAmFine(device: string, event: string): boolean {
    if (!this.#p) return false;
    this.#cancel("i_am_fine", device, `button ${event}`);
    return true;
  }

  /**
   * A call's evidence, with the waiting pre-alarm's when there is one: the person's press came after a
   * silence long enough to ask about, which the carer should know.
   */
  withEvidence(evidence: Record<string, unknown>): Record<string, unknown> {
    return this.#p ? { ...evidence, prealarm: this.#evidence(this.#p) } : evidence;
  }

  /**
   * A single press raised the call `alert` while the pre-alarm waited (or a fall sensor the `fall`
   * alert, `by: "fall"`). The pre-alarm ends at once into that call (`prealarm_expired` naming it,
   * `by: "call"`): the call is the alert, never cancelled
   * locally. Not a cancel: a call must never look like "fine". And no second, inactivity, alert: the
   * next movement would clear it, and a cleared alert beside an open call reads like "all well".
   */
  call(alert: { alert: string } | undefined, by: "call" | "fall" = "call"): void {
    const p = this.#p;
    if (!p || !alert) return;
    this.#p = undefined;
    this.#o.putEvent({ event: "prealarm_expired", data: { prealarm: p.id, alert: alert.alert, by } });
    this.#o.prompt?.ended(p.id);
    // The call (or fall) is the alert for this silence: a new one starts, or the same silence would
    // start another pre-alarm a minute later.
    this.#o.restartSilence(false);
  }

  /** At every tick: unanswered after the wait, the inactivity alert with the pre-alarm in its evidence. */
  tick(nowMono: number): void {
    const p = this.#p;
    if (!p || nowMono - p.startedMono < this.#d.prealarmWaitMs) return;
    this.#p = undefined;
    const alert = this.#o.raise(p.finding, { prealarm: this.#evidence(p) });
    this.#o.putEvent({ event: "prealarm_expired", data: { prealarm: p.id, alert } });
    this.#o.prompt?.ended(p.id);
  }

  /** Dropped without an answer and without an alert (watch set to away: inactivity is not watched). */
  drop(reason: string): void {
    const p = this.#p;
    if (!p) return;
    this.#p = undefined;
    this.#o.putEvent({ event: "prealarm_dropped", data: { prealarm: p.id, reason } });
    this.#o.prompt?.ended(p.id);
  }

  #asks(f: InactivityFinding, local: LocalTime): boolean {
    const d = this.#d;
    if (!inWindow(local.minuteOfDay, d.sleepStartMin, d.sleepEndMin)) return true;
    // Before this person's usual bedtime the evening is still their day: they are up, and hear it.
    if (f.usual?.before_bedtime !== undefined) return true;
    // Someone moving in the night is likely awake (night-motion.ts).
    if (f.rule === "night_motion") return true;
    // At night a prompt would wake a sleeper for nothing; with the lights on, the person is likely up
    // (or fell before going to bed) and hears it.
    return d.prealarmInSleep === "always" || (d.prealarmInSleep === "lights_on" && this.#o.lightsOn());
  }

  #cancel(by: "activity" | "i_am_fine", device: string, detail: string): void {
    const p = this.#p as Pending;
    this.#p = undefined;
    this.#o.putEvent({ event: "prealarm_cancelled", device, data: { prealarm: p.id, by, device, detail } });
    this.#o.prompt?.cancelled(p.id);
    this.#o.restartSilence(true);
  }

  #evidence(p: Pending): Record<string, unknown> {
    const o = this.#o;
    const now = o.clock.monotonicMs();
    return {
      started: isoWithOffset(p.startedWall, o.timeZone),
      waited_s: Math.round((now - p.startedMono) / SECOND_MS),
      spoken: p.spoken,
      activity_seen: p.seen.slice(0, MAX_LISTED).map((a) => ({
        at: isoWithOffset(o.clock.wallMs() - (now - a.mono), o.timeZone),
        source: a.source,
        class: weightOf(a.source).class,
        device: a.device,
      })),
    };
  }
}

/** The detection with the pre-alarm's own limits in place, when it is on and they are set. */
export function withPrealarmLimits(d: ResolvedDetection): ResolvedDetection {
  if (d.prealarmWaitMs <= 0) return d;
  return {
    ...d,
    ...earlierDeadline(d),
    ...(d.prealarmMaxSilenceDayMs !== undefined ? { maxSilenceDayMs: d.prealarmMaxSilenceDayMs } : {}),
    ...(d.prealarmRoutineAlpha !== undefined ? { routineAlpha: d.prealarmRoutineAlpha } : {}),
    ...(d.prealarmRoutineMinSilenceMs !== undefined
      ? { routineMinSilenceMs: d.prealarmRoutineMinSilenceMs }
      : {}),
    ...(d.prealarmUsualStillness ? { usualStillness: true } : {}),
  };
}

/**
 * The morning deadline asks the wait's length before the deadline, so that an unanswered prompt
 * raises the alert at the deadline itself, as without the pre-alarm: the deadline is the time by
 * which the carers were told they would know. Not for a deadline inside the sleep window (there the
 * alert usually goes out without a prompt), nor within the wait of its end (it would move into the
 * night).
 */
function earlierDeadline(d: ResolvedDetection): { morningDeadlineMin?: number } {
  const dl = d.morningDeadlineMin;
  if (dl === undefined || inWindow(dl, d.sleepStartMin, d.sleepEndMin)) return {};
  const waitMin = Math.ceil(d.prealarmWaitMs / MINUTE_MS);
  const afterEnd = (dl - d.sleepEndMin + 1440) % 1440;
  return afterEnd > waitMin ? { morningDeadlineMin: (dl - waitMin + 1440) % 1440 } : {};
}
