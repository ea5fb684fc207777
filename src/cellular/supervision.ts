import type { Clock, Timer } from "../core/clock.js";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { CellularStatus, ModemPort } from "./types.js";

/** What the heartbeat carries about the second path (contract: status.health.cellular). */
export interface CellularHealth {
  modem: CellularStatus["modem"];
  registration?: string;
  signal_pct?: number;
}

export interface CellularWatchOptions {
  modem: Pick<ModemPort, "status">;
  /** Real time. */
  clock: Clock;
  pollMs: number;
  /** A problem lasting this long is reported (`degraded`). */
  degradedAfterMs: number;
  /**
   * The second path is unusable (`problem` with its evidence) or usable again (undefined); called on
   * each change once the problem has lasted `degradedAfterMs`, and when it ends.
   */
  report: (problem: Record<string, unknown> | undefined) => void;
  log: Logger;
}

/**
 * Supervises the modem the SMS fallback needs: no modem, no SIM, no registration or no signal for
 * `degradedAfterMs` is reported (the agent raises `monitoring_degraded`, sense `cellular`), and its end
 * too. Reads ModemManager every `pollMs`; one read at a time.
 */
export class CellularWatch {
  readonly #o: CellularWatchOptions;
  #timer: Timer | undefined;
  #last: CellularStatus | undefined;
  /** Monotonic ms since when the modem has been unusable, while it is. */
  #badSinceMono: number | undefined;
  #reported = false;
  #reading = false;
  #stopped = false;

  constructor(o: CellularWatchOptions) {
    this.#o = o;
  }

  start(): void {
    this.#stopped = false;
    void this.poll();
    this.#timer = this.#o.clock.setInterval(() => void this.poll(), this.#o.pollMs);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** The last reading, for the heartbeat and `hearth status`; undefined before the first one. */
  health(): CellularHealth | undefined {
    const s = this.#last;
    if (!s) return undefined;
    return {
      modem: s.modem,
      ...(s.registration !== undefined ? { registration: s.registration } : {}),
      ...(s.signal_pct !== undefined ? { signal_pct: s.signal_pct } : {}),
    };
  }

  /** Reads the modem once and acts on it; exposed for tests and `hearth status`' freshness. */
  async poll(): Promise<void> {
    if (this.#reading || this.#stopped) return;
    this.#reading = true;
    try {
      let s: CellularStatus;
      try {
        s = await this.#o.modem.status();
      } catch (e) {
        s = { modem: "unreachable", detail: errorMessage(e) };
      }
      if (!this.#stopped) this.#judge(s);
    } catch (e) {
      // Raising or clearing the alert failed (storage): logged; the next read tries again.
      this.#o.log.error({ err: e }, "Cellular supervision failed to report");
    } finally {
      this.#reading = false;
    }
  }

  #judge(s: CellularStatus): void {
    const { clock, log, degradedAfterMs } = this.#o;
    const was = this.#last?.modem;
    this.#last = s;
    if (s.modem === "ok") {
      this.#badSinceMono = undefined;
      if (this.#reported) {
        this.#reported = false;
        log.info({ signal_pct: s.signal_pct, registration: s.registration }, "Cellular modem usable again");
        this.#o.report(undefined);
      }
      return;
    }
    if (was !== s.modem) log.warn({ modem: s.modem, detail: s.detail }, `Cellular modem: ${s.detail}`);
    const now = clock.monotonicMs();
    this.#badSinceMono ??= now;
    if (!this.#reported && now - this.#badSinceMono >= degradedAfterMs) {
      this.#reported = true;
      this.#o.report({
        modem: s.modem,
        detail: s.detail,
        ...(s.registration !== undefined ? { registration: s.registration } : {}),
        ...(s.signal_pct !== undefined ? { signal_pct: s.signal_pct } : {}),
        for_s: Math.round((now - this.#badSinceMono) / 1000),
      });
    }
  }
}
