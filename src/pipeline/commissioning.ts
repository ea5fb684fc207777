import type { AlertKind, EventBody } from "../contract/messages.js";
import { isoWithOffset } from "../contract/timestamps.js";
import type { Clock, Timer } from "../core/clock.js";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { HOUR_MS, MINUTE_MS } from "../core/time.js";
import type { ModelStore } from "./ports.js";

/** How long commissioning lasts unless told otherwise, and the longest it may be set for. */
export const COMMISSIONING_DEFAULT_MS = 2 * HOUR_MS;
export const COMMISSIONING_MAX_MS = 8 * HOUR_MS;
/** How long an announced press is waited for unless told otherwise, and at most. */
export const EXPECT_PRESS_DEFAULT_MS = 2 * MINUTE_MS;
export const EXPECT_PRESS_MAX_MS = 10 * MINUTE_MS;
/** Where the mode's end survives an agent restart (the outbox's kv table). */
export const COMMISSIONING_KEY = "commissioning";

export interface CommissioningState {
  by: string;
  /** Wall ms. */
  startedMs: number;
  untilMs: number;
}

export interface CommissioningOptions {
  /** Human time (the real clock even in the demo): the installer's two hours are real hours. */
  clock: Clock;
  store: ModelStore;
  timeZone: string;
  putEvent: (b: EventBody) => void;
  log: Logger;
}

/**
 * The installer's commissioning mode and its one rule (docs/installer.md, "Commissioning mode"):
 * while it lasts, a silence (an inactivity alert, also one a pre-alarm ends in) goes out as a `test`
 * alert, and so does the first button press after `expectPress` within its window. Every other press
 * is a real `call`, so a person in trouble during the visit still gets through; a fall is never a
 * test. The mode ends by itself at `until` (kept in the kv store, so it survives a restart).
 */
export class Commissioning {
  readonly #o: CommissioningOptions;
  #state: CommissioningState | undefined;
  /** Wall ms until which the next press counts as the installer's announced test press. */
  #expectUntilMs: number | undefined;
  #timer: Timer | undefined;
  /** Wall ms of the last press that went out as the announced test (`commission finish` waits for it). */
  #lastTestPressMs: number | undefined;

  constructor(o: CommissioningOptions) {
    this.#o = o;
  }

  /** Takes up a mode left running by the last run; one whose end passed meanwhile ends now. */
  restore(): void {
    const raw = this.#o.store.get(COMMISSIONING_KEY);
    if (!raw) return;
    try {
      const s = JSON.parse(raw) as CommissioningState | null;
      if (!s || typeof s.untilMs !== "number") return;
      this.#state = s;
      this.#arm();
      this.check();
    } catch (e) {
      this.#o.log.warn({ err: e }, "Commissioning state unreadable: ignored");
    }
  }

  stopTimer(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  state():
    | { by: string; started: string; until: string; expecting_press_until?: string; last_test_press?: string }
    | undefined {
    this.check();
    const s = this.#state;
    if (!s) return undefined;
    const iso = (ms: number) => isoWithOffset(ms, this.#o.timeZone);
    const expect = this.#expectUntilMs !== undefined && this.#expectUntilMs > this.#o.clock.wallMs();
    return {
      by: s.by,
      started: iso(s.startedMs),
      until: iso(s.untilMs),
      ...(expect && this.#expectUntilMs !== undefined
        ? { expecting_press_until: iso(this.#expectUntilMs) }
        : {}),
      ...(this.#lastTestPressMs !== undefined ? { last_test_press: iso(this.#lastTestPressMs) } : {}),
    };
  }

  start(by: string, forMs = COMMISSIONING_DEFAULT_MS): NonNullable<ReturnType<Commissioning["state"]>> {
    if (!(forMs > 0) || forMs > COMMISSIONING_MAX_MS)
      throw new HearthError(
        `commissioning lasts more than 0 and at most ${COMMISSIONING_MAX_MS / HOUR_MS} h, not ${Math.round(forMs / MINUTE_MS)} min`,
        ErrorCode.CommandInvalid,
        { forMs },
      );
    if (by.trim() === "")
      throw new HearthError("commissioning needs the installer's name", ErrorCode.CommandInvalid);
    const now = this.#o.clock.wallMs();
    const was = this.#state;
    this.#state = { by, startedMs: was?.startedMs ?? now, untilMs: now + forMs };
    this.#save();
    this.#arm();
    const s = this.state();
    if (!s) throw new HearthError("commissioning did not start", ErrorCode.CommandFailed);
    this.#o.putEvent({
      event: was ? "commissioning_extended" : "commissioning_started",
      data: { by, started: s.started, until: s.until },
    });
    this.#o.log.warn(
      { by, until: s.until },
      "Commissioning mode: silences and announced presses go out as test alerts",
    );
    return s;
  }

  stop(by: string): { ended: boolean } {
    if (!this.#state) return { ended: false };
    this.#end("stopped", by);
    return { ended: true };
  }

  /**
   * The commissioning report (`hearth commission finish`) goes to the cloud as an event, so the care
   * service keeps what was installed and that it worked; the mode ends with it.
   */
  report(by: string, report: Record<string, unknown>): { published: true; ended: boolean } {
    this.#o.putEvent({ event: "commissioning_report", data: report });
    const ended = this.#state !== undefined;
    if (ended) this.#end("finished", by);
    return { published: true, ended };
  }

  /** The installer is about to press: the first press within `withinMs` is a test. */
  expectPress(withinMs = EXPECT_PRESS_DEFAULT_MS): { until: string } {
    this.check();
    if (!this.#state)
      throw new HearthError(
        "not commissioning: run `hearth commission start` first (a press outside it is a real call)",
        ErrorCode.CommandRefused,
      );
    if (!(withinMs > 0) || withinMs > EXPECT_PRESS_MAX_MS)
      throw new HearthError(
        `a press is announced for at most ${EXPECT_PRESS_MAX_MS / MINUTE_MS} min`,
        ErrorCode.CommandInvalid,
      );
    const now = this.#o.clock.wallMs();
    this.#expectUntilMs = Math.min(now + withinMs, this.#state.untilMs);
    // `last_test_press` now answers for this announcement only.
    this.#lastTestPressMs = undefined;
    const until = isoWithOffset(this.#expectUntilMs, this.#o.timeZone);
    this.#o.putEvent({ event: "commissioning_press_expected", data: { by: this.#state.by, until } });
    return { until };
  }

  /**
   * Whether an alert about to be raised goes out as `test` instead: the evidence to add when it does
   * (what it would have been, and who commissions), undefined when it stays what it is.
   */
  downgrade(kind: AlertKind): Record<string, unknown> | undefined {
    this.check();
    const s = this.#state;
    if (!s) return undefined;
    const mark = { as: kind, commissioning: { by: s.by, until: isoWithOffset(s.untilMs, this.#o.timeZone) } };
    if (kind === "inactivity") return mark;
    if (kind !== "call") return undefined;
    const now = this.#o.clock.wallMs();
    if (this.#expectUntilMs === undefined || now > this.#expectUntilMs) return undefined;
    // One announced press, one test: the next press is a real call again.
    this.#expectUntilMs = undefined;
    this.#lastTestPressMs = now;
    return { ...mark, announced: true };
  }

  /** Ends the mode once its time is up (also called on every use, so a late timer changes nothing). */
  check(): void {
    const s = this.#state;
    if (s && this.#o.clock.wallMs() >= s.untilMs) this.#end("expired", s.by);
  }

  #end(reason: "stopped" | "expired" | "finished", by: string): void {
    const s = this.#state;
    if (!s) return;
    this.#state = undefined;
    this.#expectUntilMs = undefined;
    this.#lastTestPressMs = undefined;
    this.stopTimer();
    this.#o.store.set(COMMISSIONING_KEY, "null");
    const iso = (ms: number) => isoWithOffset(ms, this.#o.timeZone);
    this.#o.putEvent({
      event: "commissioning_ended",
      data: {
        by,
        started_by: s.by,
        reason,
        started: iso(s.startedMs),
        until: iso(s.untilMs),
        ended: iso(this.#o.clock.wallMs()),
      },
    });
    this.#o.log.info({ by, reason }, "Commissioning mode ended: every alert is real again");
  }

  #save(): void {
    this.#o.store.set(COMMISSIONING_KEY, JSON.stringify(this.#state ?? null));
  }

  #arm(): void {
    this.stopTimer();
    this.#timer = this.#o.clock.setInterval(() => this.check(), MINUTE_MS / 4);
  }
}
