import type { EventBody, WatchLevel } from "../contract/messages.js";
import { isoWithOffset } from "../contract/timestamps.js";

export interface WatchState {
  level: WatchLevel;
  /** Wall ms when it returns to normal, if set. */
  untilMs?: number;
}

/**
 * The watch level the carers set: `away` (no inactivity alerts; a call still alerts), `normal`, or
 * `heightened` (every silence limit times the heightened factor), optionally until a wall time.
 */
export class Watch {
  #state: WatchState;

  constructor(
    readonly heightenedFactor: number,
    initial: WatchLevel = "normal",
  ) {
    this.#state = { level: initial };
  }

  get level(): WatchLevel {
    return this.#state.level;
  }

  /** A copy of the level and its end. */
  state(): WatchState {
    return { ...this.#state };
  }

  /** Sets the level (until `untilMs`, wall, if given); returns the level it had. */
  set(level: WatchLevel, untilMs?: number): WatchLevel {
    const was = this.#state.level;
    this.#state = untilMs !== undefined ? { level, untilMs } : { level };
    return was;
  }

  /** Whether a level set until a time has run out at `wallMs`. */
  expired(wallMs: number): boolean {
    return this.#state.untilMs !== undefined && wallMs >= this.#state.untilMs;
  }

  /** What every silence limit is multiplied by now. */
  factor(): number {
    return this.#state.level === "heightened" ? this.heightenedFactor : 1;
  }
}

/** The `watch_level` event of a change from `previous` to `level`. */
export function watchEvent(
  level: WatchLevel,
  previous: WatchLevel,
  untilMs: number | undefined,
  timeZone: string,
): EventBody {
  return {
    event: "watch_level",
    data: {
      level,
      previous,
      ...(untilMs !== undefined ? { until: isoWithOffset(untilMs, timeZone) } : {}),
    },
  };
}
