import { isoWithOffset } from "../contract/timestamps.js";
import type { Clock, Timer } from "../core/clock.js";
import type { IdSource } from "../core/ids.js";
import type { Logger } from "../core/log.js";
import type { ButtonPress, DeviceAvailability, Reading, ReadingSink } from "../core/readings.js";
import type { ButtonAction } from "../profiles/bthome.js";
import { channelUnit } from "../profiles/channels.js";
import { type Activity, ActivityExtractor } from "./activity.js";
import { AlertManager, type AlertRecord } from "./alerts.js";
import { SilenceRule, type SilenceVerdict } from "./inactivity.js";
import type { MessageSink, OpenAlert } from "./ports.js";

export interface PipelineOptions {
  home: string;
  timeZone: string;
  clock: Clock;
  ids: IdSource;
  sink: MessageSink;
  log: Logger;
  detection: {
    sleepStartMin: number;
    sleepEndMin: number;
    maxSilenceDayMs: number;
    maxSilenceNightMs: number;
    escalateAfterMs: number;
    powerStepW: number;
  };
  /** What a button event means for a device (from its profile); unknown events are activity only. */
  buttonAction: (device: string, event: string) => ButtonAction | undefined;
  /** Smallest water step that counts (m³). */
  waterResolutionM3?: number;
  /** At most one telemetry message per device this often (monotonic ms); 0 sends every reading. */
  telemetryIntervalMs?: number;
}

export interface DeviceSnapshot {
  availability: DeviceAvailability | "unknown";
  last: Record<string, { value: number; unit: string; at: string }>;
}

/**
 * Readings and button presses in; alerts, events and telemetry out (to the outbox). Knows no MQTT, no
 * SQL, no serial port.
 */
export class Pipeline implements ReadingSink {
  readonly alerts: AlertManager;
  readonly #o: PipelineOptions;
  readonly #activity: ActivityExtractor;
  readonly #silence: SilenceRule;
  /** Per device: availability and last value per channel. */
  readonly #devices = new Map<string, DeviceSnapshot>();
  /** Monotonic time of the last telemetry message, keyed by device. */
  readonly #telemetrySent = new Map<string, number>();
  #lastActivity: Activity | undefined;
  #escalation: Timer | undefined;
  #stopped = true;

  constructor(o: PipelineOptions) {
    this.#o = o;
    this.alerts = new AlertManager({
      sink: o.sink,
      clock: o.clock,
      ids: o.ids,
      timeZone: o.timeZone,
      log: o.log,
    });
    this.#activity = new ActivityExtractor({
      powerStepW: o.detection.powerStepW,
      waterResolutionM3: o.waterResolutionM3 ?? 0.001,
    });
    this.#silence = new SilenceRule({
      clock: o.clock,
      timeZone: o.timeZone,
      sleepStartMin: o.detection.sleepStartMin,
      sleepEndMin: o.detection.sleepEndMin,
      maxSilenceDayMs: o.detection.maxSilenceDayMs,
      maxSilenceNightMs: o.detection.maxSilenceNightMs,
      checkEveryMs: 60_000,
    });
  }

  start(open: readonly OpenAlert[] = []): void {
    this.#stopped = false;
    this.alerts.restore(open);
    this.#silence.resetTo(this.#o.clock.monotonicMs());
    this.#silence.start((v) => this.#onSilence(v));
    this.#escalation = this.#o.clock.setInterval(() => this.#escalate(), 60_000);
  }

  stop(): void {
    this.#stopped = true;
    this.#silence.stop();
    this.#escalation?.cancel();
    this.#escalation = undefined;
  }

  // ---- ReadingSink ----

  readings(batch: readonly Reading[]): void {
    if (this.#stopped || batch.length === 0) return;
    const byDevice = new Map<string, Reading[]>();
    for (const r of batch) {
      const list = byDevice.get(r.device) ?? [];
      list.push(r);
      byDevice.set(r.device, list);
      this.#remember(r);
      const a = this.#activity.fromReading(r);
      if (a) this.#onActivity(a);
    }
    const at = isoWithOffset(this.#o.clock.wallMs(), this.#o.timeZone);
    const now = this.#o.clock.monotonicMs();
    const every = this.#o.telemetryIntervalMs ?? 0;
    for (const [device, list] of byDevice) {
      const last = this.#telemetrySent.get(device);
      if (every > 0 && last !== undefined && now - last < every) continue;
      this.#telemetrySent.set(device, now);
      this.#o.sink.putTelemetry({
        device,
        at,
        values: list.map((r) => ({ channel: r.channel, value: r.value, unit: channelUnit(r.channel) })),
      });
    }
  }

  button(press: ButtonPress): void {
    if (this.#stopped) return;
    const action = this.#o.buttonAction(press.device, press.event);
    if (action === "call") {
      // Durable before anything else happens to it.
      this.alerts.raise(
        "call",
        { event: press.event, ...(press.counter !== undefined ? { counter: press.counter } : {}) },
        press.device,
      );
    }
    this.#o.sink.putEvent({
      event: "button",
      device: press.device,
      data: { event: press.event, action: action ?? "activity" },
    });
    if (action === "i_am_fine") {
      const open = this.alerts.findOpen("inactivity");
      if (open)
        this.alerts.transition(open.alert, "cleared", "i_am_fine", { by: press.device, event: press.event });
    }
    this.#onActivity({
      device: press.device,
      source: "button",
      strength: 1,
      mono: press.mono,
      detail: `button ${press.event}`,
    });
  }

  availability(device: string, state: DeviceAvailability, reason: string): void {
    if (this.#stopped) return;
    const snap = this.#snapshot(device);
    if (snap.availability === state) return;
    snap.availability = state;
    this.#o.sink.putEvent({
      event: state === "online" ? "device_online" : "device_offline",
      device,
      data: { reason },
    });
    const open = this.alerts.findOpen("device_offline", device);
    if (state === "offline" && !open) this.alerts.raise("device_offline", { reason }, device);
    if (state === "online" && open) this.alerts.transition(open.alert, "cleared", "recovered", { reason });
  }

  // ---- commands ----

  acknowledge(alert: string, by?: string): AlertRecord {
    return this.alerts.transition(alert, "acknowledged", "cloud", {}, by);
  }

  raiseTest(): AlertRecord {
    return this.alerts.raise("test", { note: "test alert requested" });
  }

  // ---- inspection ----

  devices(): Record<string, DeviceSnapshot> {
    return Object.fromEntries(this.#devices);
  }

  lastActivity(): (Activity & { silence_s: number }) | undefined {
    const a = this.#lastActivity;
    return a ? { ...a, silence_s: Math.round((this.#o.clock.monotonicMs() - a.mono) / 1000) } : undefined;
  }

  // ---- internals ----

  #snapshot(device: string): DeviceSnapshot {
    let s = this.#devices.get(device);
    if (!s) {
      s = { availability: "unknown", last: {} };
      this.#devices.set(device, s);
    }
    return s;
  }

  #remember(r: Reading): void {
    const s = this.#snapshot(r.device);
    s.last[r.channel] = {
      value: r.value,
      unit: channelUnit(r.channel),
      at: isoWithOffset(this.#o.clock.wallMs(), this.#o.timeZone),
    };
  }

  #onActivity(a: Activity): void {
    this.#lastActivity = a;
    this.#silence.activity(a);
    const open = this.alerts.findOpen("inactivity");
    if (open) this.alerts.transition(open.alert, "cleared", "activity", this.#describe(a));
  }

  #describe(a: Activity | undefined): Record<string, unknown> {
    if (!a) return { last_activity: null };
    const agoMs = this.#o.clock.monotonicMs() - a.mono;
    return {
      last_activity: {
        at: isoWithOffset(this.#o.clock.wallMs() - agoMs, this.#o.timeZone),
        source: a.source,
        device: a.device,
        detail: a.detail,
      },
    };
  }

  #onSilence(v: SilenceVerdict): void {
    if (this.#stopped || this.alerts.findOpen("inactivity")) return;
    this.alerts.raise("inactivity", {
      ...this.#describe(this.#lastActivity),
      silence_s: Math.round(v.silenceMs / 1000),
      threshold_s: Math.round(v.thresholdMs / 1000),
      rule: v.night ? "max_silence_night" : "max_silence_day",
    });
  }

  #escalate(): void {
    const now = this.#o.clock.monotonicMs();
    for (const a of this.alerts.open()) {
      if (a.state !== "raised" || (a.kind !== "inactivity" && a.kind !== "call")) continue;
      if (now - a.changedMono < this.#o.detection.escalateAfterMs) continue;
      this.alerts.transition(a.alert, "escalated", "timeout", {
        ...(a.kind === "inactivity" ? this.#describe(this.#lastActivity) : {}),
        open_for_s: Math.round((now - a.changedMono) / 1000),
      });
    }
  }
}
