import { isClosed, refuseTransition, type TransitionCause } from "../contract/lifecycle.js";
import type { AlertBody, AlertKind, AlertState } from "../contract/messages.js";
import { isoWithOffset } from "../contract/timestamps.js";
import type { Clock } from "../core/clock.js";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { IdSource } from "../core/ids.js";
import type { Logger } from "../core/log.js";
import type { MessageSink, OpenAlert } from "./ports.js";

/** The device named in alerts about the gateway itself (its power supply). */
export const GATEWAY_DEVICE = "gateway";

export interface AlertRecord {
  alert: string;
  kind: AlertKind;
  state: AlertState;
  device?: string;
  since: string;
  /** Monotonic time of the last state change, for escalation. */
  changedMono: number;
}

export interface AlertManagerOptions {
  sink: MessageSink;
  clock: Clock;
  ids: IdSource;
  timeZone: string;
  log: Logger;
  /**
   * Whether an alert about to be raised goes out as `test` instead (commissioning.ts): the evidence
   * to add when it does, undefined when it stays what it is.
   */
  downgrade?: (kind: AlertKind) => Record<string, unknown> | undefined;
}

/**
 * Keeps every alert's lifecycle (raised → escalated → cleared | acknowledged) and writes each state
 * change to the outbox before anyone else hears of it.
 */
export class AlertManager {
  /** Open alerts, keyed by alert id. */
  readonly #open = new Map<string, AlertRecord>();
  readonly #o: AlertManagerOptions;
  /** Closed alerts of today, for the daily summary: alert id → last state. */
  readonly closedToday = new Map<string, { kind: AlertKind; state: AlertState }>();

  constructor(options: AlertManagerOptions) {
    this.#o = options;
  }

  /** Re-adopts the alerts that were open at the last stop. */
  restore(open: readonly OpenAlert[]): void {
    for (const a of open) {
      this.#open.set(a.alert, {
        alert: a.alert,
        kind: a.kind,
        state: a.state,
        ...(a.device !== undefined ? { device: a.device } : {}),
        since: a.since ?? isoWithOffset(this.#o.clock.wallMs(), this.#o.timeZone),
        changedMono: this.#o.clock.monotonicMs(),
      });
    }
  }

  open(): AlertRecord[] {
    return [...this.#open.values()];
  }

  get(alert: string): AlertRecord | undefined {
    return this.#open.get(alert);
  }

  /** The open alert of this kind (and device, where given), if any. */
  findOpen(kind: AlertKind, device?: string): AlertRecord | undefined {
    for (const a of this.#open.values())
      if (a.kind === kind && (device === undefined || a.device === device)) return a;
    return undefined;
  }

  raise(asked: AlertKind, given: Record<string, unknown>, device?: string): AlertRecord {
    const marked = asked === "test" ? undefined : this.#o.downgrade?.(asked);
    const kind: AlertKind = marked ? "test" : asked;
    const evidence = marked ? { ...given, ...marked } : given;
    const rec: AlertRecord = {
      alert: this.#o.ids.next("alert"),
      kind,
      state: "raised",
      ...(device !== undefined ? { device } : {}),
      since: isoWithOffset(this.#o.clock.wallMs(), this.#o.timeZone),
      changedMono: this.#o.clock.monotonicMs(),
    };
    this.#write(rec, evidence);
    this.#open.set(rec.alert, rec);
    this.#o.log.warn(
      // A health alert's evidence is the person's readings: sent to the cloud, never written to the log.
      {
        alert: rec.alert,
        kind,
        device,
        evidence: kind === "health" ? "(health values not logged)" : evidence,
      },
      `Alert ${kind} raised${device ? ` for ${device}` : ""}`,
    );
    return rec;
  }

  /**
   * Moves an open alert to `to`. Throws a HearthError (CommandFailed) when the contract forbids it,
   * e.g. clearing a call, or when the alert is not open.
   */
  transition(
    alert: string,
    to: AlertState,
    cause: TransitionCause,
    evidence: Record<string, unknown>,
    by?: string,
  ): AlertRecord {
    const rec = this.#open.get(alert);
    if (!rec) throw new HearthError(`alert ${alert} is not open`, ErrorCode.CommandFailed, { alert });
    const refused = refuseTransition(rec.kind, rec.state, to, cause);
    if (refused)
      throw new HearthError(refused, ErrorCode.CommandFailed, { alert, kind: rec.kind, from: rec.state, to });
    const next: AlertRecord = { ...rec, state: to, changedMono: this.#o.clock.monotonicMs() };
    this.#write(next, evidence, cause, by);
    if (isClosed(to)) {
      this.#open.delete(alert);
      this.closedToday.set(alert, { kind: rec.kind, state: to });
    } else {
      this.#open.set(alert, next);
    }
    this.#o.log.info({ alert, kind: rec.kind, from: rec.state, to, cause }, `Alert ${rec.kind} ${to}`);
    return next;
  }

  #write(rec: AlertRecord, evidence: Record<string, unknown>, cause?: TransitionCause, by?: string): void {
    const body: AlertBody = {
      alert: rec.alert,
      kind: rec.kind,
      state: rec.state,
      ...(rec.device !== undefined ? { device: rec.device } : {}),
      since: rec.since,
      ...(cause !== undefined ? { cause } : {}),
      ...(by !== undefined ? { by } : {}),
      evidence,
    };
    this.#o.sink.putAlert(body);
  }
}
