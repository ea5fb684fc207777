import { buildEnvelope } from "../contract/envelope.js";
import type { AlertBody, Envelope, EventBody, SummaryBody, TelemetryBody } from "../contract/messages.js";
import { LANE_OF, type LaneSeqs, type StoredType, takeLaneSeq } from "../contract/stored.js";
import { isoWithOffset } from "../contract/timestamps.js";
import type { Clock } from "../core/clock.js";
import type { IdSource } from "../core/ids.js";
import type { MessageSink } from "../pipeline/ports.js";

export interface EnvelopeSinkOptions {
  home: string;
  timeZone: string;
  clock: Clock;
  ids: IdSource;
  /** Receives each envelope as the outbox would have stored it. */
  emit: (env: Envelope) => void;
  /** false: telemetry is dropped (replay without --telemetry). */
  telemetry: boolean;
}

/**
 * The outbox's envelope making without SQLite: a seq counter, the id from the injected source, the
 * wall time of the (virtual) clock with the home's offset, and the clock flag. Replay writes through
 * this, so a replay of a year runs in seconds and prints what the agent would have sent.
 */
export class EnvelopeSink implements MessageSink {
  readonly #o: EnvelopeSinkOptions;
  #seq = 0;
  readonly #laneSeq: LaneSeqs = { alert: 0, event: 0, telemetry: 0 };

  constructor(o: EnvelopeSinkOptions) {
    this.#o = o;
  }

  get lastSeq(): number {
    return this.#seq;
  }

  putAlert(body: AlertBody): void {
    this.#put("alert", body);
  }
  putEvent(body: EventBody): void {
    this.#put("event", body);
  }
  putTelemetry(body: TelemetryBody): void {
    if (this.#o.telemetry) this.#put("telemetry", body);
  }
  putSummary(body: SummaryBody): void {
    this.#put("summary", body);
  }

  #put<T extends StoredType>(type: T, body: Envelope<T>["body"]): void {
    const c = this.#o.clock;
    const env = buildEnvelope(type, body, {
      id: this.#o.ids.next("msg"),
      home: this.#o.home,
      seq: ++this.#seq,
      laneSeq: takeLaneSeq(this.#laneSeq, LANE_OF[type]),
      ts: isoWithOffset(c.wallMs(), this.#o.timeZone),
      synced: c.wallSynced(),
    });
    this.#o.emit(env as Envelope);
  }
}
