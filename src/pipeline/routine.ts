/**
 * The home's learned routine: for each hour of the week, how likely it is that the person shows some
 * activity in that hour. Learned from the home's own history one hour at a time; it adapts slowly
 * (each hour-of-week slot moves at most 1/`slowWeeks` of the way to a new observation), so a season or
 * a new habit shifts it over weeks while one odd day barely does.
 *
 * With only two weeks of history every hour-of-week slot has two observations, so each slot is shrunk
 * towards the same hour of day pooled over all days (which has fourteen).
 */

export interface RoutineState {
  v: 1;
  /** P(activity in hour) per hour of week (0–167), and how many hours each estimate rests on. */
  week: number[];
  weekN: number[];
  /** The same pooled by hour of day (0–23). */
  day: number[];
  dayN: number[];
  /** Hours observed in total. */
  hours: number;
}

export interface RoutineOptions {
  /** Days of history before the routine is used (rules alone until then). */
  learningDays: number;
  /** Slot learning rate floor: 1 / slowWeeks (week slots) and 1 / (7 × slowWeeks) (day slots). */
  slowWeeks: number;
}

/** Prior weight (in observations) of the hour-of-day estimate in each hour-of-week slot. */
const SHRINK = 3;
/** No hour is taken as certain: leaves room for a day out of the ordinary. */
const P_MAX = 0.95;

export class Routine {
  readonly #o: RoutineOptions;
  #s: RoutineState = {
    v: 1,
    week: new Array<number>(168).fill(0.5),
    weekN: new Array<number>(168).fill(0),
    day: new Array<number>(24).fill(0.5),
    dayN: new Array<number>(24).fill(0),
    hours: 0,
  };

  constructor(o: RoutineOptions) {
    this.#o = o;
  }

  /** Days of history observed. */
  days(): number {
    return this.#s.hours / 24;
  }

  ready(): boolean {
    return this.days() >= this.#o.learningDays;
  }

  /** Records one complete hour (`hourOfWeek`) in which the person was or was not active. */
  observe(hourOfWeek: number, active: boolean): void {
    const s = this.#s;
    const h = hourOfWeek % 24;
    const x = active ? 1 : 0;
    const nw = s.weekN[hourOfWeek] as number;
    const nd = s.dayN[h] as number;
    const rw = Math.max(1 / (nw + 1), 1 / this.#o.slowWeeks);
    const rd = Math.max(1 / (nd + 1), 1 / (7 * this.#o.slowWeeks));
    s.week[hourOfWeek] = (s.week[hourOfWeek] as number) + (x - (s.week[hourOfWeek] as number)) * rw;
    s.day[h] = (s.day[h] as number) + (x - (s.day[h] as number)) * rd;
    s.weekN[hourOfWeek] = nw + 1;
    s.dayN[h] = nd + 1;
    s.hours++;
  }

  /** P(some activity in this hour of week). */
  p(hourOfWeek: number): number {
    const s = this.#s;
    const nw = Math.min(s.weekN[hourOfWeek] as number, 8);
    const pd = s.day[hourOfWeek % 24] as number;
    const pw = s.week[hourOfWeek] as number;
    return Math.min(P_MAX, (nw * pw + SHRINK * pd) / (nw + SHRINK));
  }

  /**
   * Probability, under the routine, of seeing no activity at all across a silence: the product over
   * the hours it covers of P(no activity in that hour) raised to the fraction of the hour covered.
   * `hours` is a list of [hourOfWeek, fraction] pairs.
   */
  quietProbability(hours: ReadonlyArray<readonly [number, number]>): number {
    let logP = 0;
    for (const [how, frac] of hours) logP += frac * Math.log(1 - this.p(how));
    return Math.exp(logP);
  }

  toJSON(): RoutineState {
    return this.#s;
  }

  restore(s: RoutineState): void {
    if (s.v !== 1 || s.week.length !== 168 || s.day.length !== 24) return;
    this.#s = {
      v: 1,
      week: [...s.week],
      weekN: [...s.weekN],
      day: [...s.day],
      dayN: [...s.dayN],
      hours: s.hours,
    };
  }
}

const SHADES = " .:-=+*#%@";
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** The learned profile as a small text chart: one row per weekday, one column per hour. */
export function routineChart(r: Routine): string {
  const lines = [
    `learned routine: ${r.days().toFixed(1)} days of history${r.ready() ? "" : " (still learning: rules alone)"}`,
    "P(activity in the hour):  ' ' < 10 %  '.' 10–20 %  …  '@' ≥ 90 %",
    "     0     6     12    18   23",
    "     |     |     |     |     |",
  ];
  for (let d = 0; d < 7; d++) {
    let row = "";
    for (let h = 0; h < 24; h++) {
      const p = r.p(d * 24 + h);
      row += SHADES[Math.min(9, Math.floor(p * 10))];
    }
    lines.push(`${WEEKDAYS[d]}  ${row}`);
  }
  return lines.join("\n");
}
