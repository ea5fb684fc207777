import type { AlertBody, EventBody, SummaryBody, TelemetryBody } from "../../src/contract/messages.js";
import type { MessageSink } from "../../src/pipeline/ports.js";

/** Records what the pipeline writes, in order. */
export class RecordingSink implements MessageSink {
  readonly alerts: AlertBody[] = [];
  readonly events: EventBody[] = [];
  readonly telemetry: TelemetryBody[] = [];
  readonly summaries: SummaryBody[] = [];
  putAlert(body: AlertBody): void {
    this.alerts.push(body);
  }
  putEvent(body: EventBody): void {
    this.events.push(body);
  }
  putTelemetry(body: TelemetryBody): void {
    this.telemetry.push(body);
  }
  putSummary(body: SummaryBody): void {
    this.summaries.push(body);
  }
  states(kind?: string): string[] {
    return this.alerts.filter((a) => !kind || a.kind === kind).map((a) => `${a.kind}:${a.state}`);
  }
}

/**
 * A sink whose writes fail from a chosen call on, as a full or broken outbox does: the error is what
 * the outbox throws (`OutboxFull`, say), so tests see how the pipeline copes with it.
 */
export class FailingMessageSink extends RecordingSink {
  failing: Error | undefined;
  failures = 0;
  constructor(failing?: Error) {
    super();
    this.failing = failing;
  }
  #maybeFail(): void {
    if (this.failing) {
      this.failures++;
      throw this.failing;
    }
  }
  override putAlert(body: AlertBody): void {
    this.#maybeFail();
    super.putAlert(body);
  }
  override putEvent(body: EventBody): void {
    this.#maybeFail();
    super.putEvent(body);
  }
}
