import type {
  AlertBody,
  AlertKind,
  AlertState,
  EventBody,
  SummaryBody,
  TelemetryBody,
} from "../contract/messages.js";

/**
 * What the pipeline needs from the outbox, and nothing more: the pipeline knows no SQL and no MQTT.
 * `putAlert` returns only after the alert is durable on disk.
 */
export interface MessageSink {
  putAlert(body: AlertBody): void;
  putEvent(body: EventBody): void;
  putTelemetry(body: TelemetryBody): void;
  putSummary(body: SummaryBody): void;
  /** What `fn` writes made durable together, with one fsync (the outbox's `durably`). */
  durably?<T>(fn: () => T): T;
}

/**
 * Where learned models (routine, standby and machine steps) are kept across restarts: the outbox's
 * kv table in the agent, a Map in replay. Values are JSON text.
 */
export interface ModelStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

/** An alert that was open when the agent last stopped, to carry on with after a restart. */
export interface OpenAlert {
  alert: string;
  kind: AlertKind;
  state: AlertState;
  device?: string;
  /** Wall time (ISO) it was raised, if known. */
  since?: string;
}

/**
 * Where the pre-alarm's prompts go: the agent speaks them (and sounds the buzzer) through its outputs,
 * fire and forget; replay and eval may listen. Each call returns at once and never throws back.
 */
export interface PrealarmPrompt {
  /** Whether a prompt reaches the person at all (the event's `spoken`). */
  readonly audible: boolean;
  /** "Are you all right?": a pre-alarm started. */
  ask(prealarm: string): void;
  /** The answer or the activity that cancelled it was seen: "thank you, cancelled". */
  cancelled(prealarm: string): void;
  /** It ended otherwise (expired into an alert, taken over by a call, dropped): stop the signal. */
  ended(prealarm: string): void;
}
