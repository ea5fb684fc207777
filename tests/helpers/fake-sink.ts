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
