import type {
  AlertBody,
  AlertState,
  EventBody,
  SummaryBody,
  TelemetryBody,
} from "../../src/contract/messages.js";
import { VirtualClock } from "../../src/core/clock.js";
import { randomIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { DAY_MS } from "../../src/core/time.js";
import type { OutboxOptions } from "../../src/outbox/sqlite.js";

/**
 * An outbox's options for a test: one home, a virtual clock, 64 MiB, a day's retention, batches of
 * 100 telemetry rows flushed after 2 s, no logs; `over` sets what the test is about.
 */
export function outboxOptions(path: string, over: Partial<OutboxOptions> = {}): OutboxOptions {
  return {
    path,
    home: "home-1",
    timeZone: "Asia/Shanghai",
    clock: new VirtualClock(),
    ids: randomIds,
    maxSizeBytes: 64 * 1024 * 1024,
    retentionMs: DAY_MS,
    telemetryBatch: 100,
    telemetryFlushMs: 2000,
    log: silentLogger(),
    ...over,
  };
}

/** Message bodies that satisfy contract v1, for outbox and uplink tests. */
export function alertBody(
  alert: string,
  state: AlertState = "raised",
  kind: AlertBody["kind"] = "call",
): AlertBody {
  return { alert, kind, state, device: "button-1", evidence: { note: `state ${state}` } };
}

export function eventBody(n: number): EventBody {
  return { event: "button", device: "button-1", data: { n } };
}

export function telemetryBody(n: number): TelemetryBody {
  return {
    device: "meter-1",
    at: "2026-01-01T08:00:00.000+08:00",
    values: [{ channel: "energy_total_kwh", value: n, unit: "kWh" }],
  };
}

export function summaryBody(): SummaryBody {
  return {
    date: "2026-01-01",
    first_activity: null,
    last_activity: null,
    active_hours: 0,
    activity_by_hour: Array.from({ length: 24 }, () => 0),
    alerts: [],
  };
}

/** Alert ids must be 8–64 characters. */
export function alertId(n: number): string {
  return `alert-${String(n).padStart(4, "0")}`;
}
