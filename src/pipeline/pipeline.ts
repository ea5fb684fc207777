import type { AlertBody, SummaryBody, WatchLevel } from "../contract/messages.js";
import { isoWithOffset } from "../contract/timestamps.js";
import { channelUnit } from "../core/channels.js";
import type { Clock, Timer } from "../core/clock.js";
import type { IdSource } from "../core/ids.js";
import type { Logger } from "../core/log.js";
import type { ButtonPress, DeviceAvailability, Reading, ReadingSink } from "../core/readings.js";
import type { ButtonAction } from "../profiles/bthome.js";
import { type Activity, ActivityExtractor, senseOf } from "./activity.js";
import { AlertManager, type AlertRecord } from "./alerts.js";
import { SilenceRule, type SilenceVerdict, type SilenceWindow } from "./inactivity.js";
import { LocalClock, type LocalTime } from "./local-time.js";
import { NightLights } from "./night-lights.js";
import type { MessageSink, ModelStore, OpenAlert } from "./ports.js";
import type { PowerModelState } from "./power.js";
import { Routine, type RoutineState } from "./routine.js";

const M = 60_000;
const H = 3_600_000;

export interface DetectionOptions {
  sleepStartMin: number;
  sleepEndMin: number;
  maxSilenceDayMs: number;
  maxSilenceNightMs: number;
  escalateAfterMs: number;
  /** Until the home's machines are learned, a rise in power at least this big (W) counts. */
  powerStepW: number;
  /** Time-of-day windows with their own day limit. */
  windows?: readonly SilenceWindow[];
  /** Minutes after midnight; undefined: no morning deadline. */
  morningDeadlineMin?: number;
  /** The morning deadline needs at least this much silence; default 4 h. */
  morningMinSilenceMs?: number;
  /** Never count a power step below this (W); default 25. */
  minStepW?: number;
  /** Default 1 day. */
  powerLearnMs?: number;
  /** Default 2 h. */
  leakAfterMs?: number;
  /** Default 20 min. */
  leakGapMs?: number;
  /** A sense silent this long is `monitoring_degraded`; default 45 min. */
  degradedAfterMs?: number;
  /** Mains below this is a power cut; default 100 V. */
  outageVoltageV?: number;
  /** Heightened watch multiplies every limit by this; default 0.5. */
  heightenedFactor?: number;
  /** Use the learned routine once it has this many days; default 14. */
  learningDays?: number;
  /** false: rules alone. Default true. */
  routine?: boolean;
  /** The routine alarms when the silence so far had less than this probability; default 0.001. */
  routineAlpha?: number;
  /** …and never for a silence shorter than this; default 2 h. */
  routineMinSilenceMs?: number;
  /** How slowly the routine adapts (weeks); default 8. */
  routineSlowWeeks?: number;
  /**
   * From this many minutes into the sleep window, a home still drawing clearly more power than on
   * usual nights (lights or television left on) with no activity for `lightsOnSilenceMs` is an
   * inactivity alert; 0 or less: no such check. Default 120.
   */
  lightsOnAfterMin?: number;
  /** Default 2 h. */
  lightsOnSilenceMs?: number;
  /** Send a daily summary; default true. */
  summary?: boolean;
  /** Water and energy used in the summary (privacy); default true. */
  summaryMeterValues?: boolean;
}

export interface PipelineOptions {
  home: string;
  timeZone: string;
  clock: Clock;
  ids: IdSource;
  sink: MessageSink;
  log: Logger;
  detection: DetectionOptions;
  /** What a button event means for a device (from its profile); unknown events are activity only. */
  buttonAction: (device: string, event: string) => ButtonAction | undefined;
  /** Smallest water step that counts (m³). */
  waterResolutionM3?: number;
  /** At most one telemetry message per device this often (monotonic ms); 0 sends every reading. */
  telemetryIntervalMs?: number;
  /** false: no telemetry at all (replay without --telemetry). Default true. */
  telemetry?: boolean;
  /** Learned models survive restarts here. */
  store?: ModelStore;
  /** Devices that should report readings: missing from the start, they are `monitoring_degraded`. */
  expectedDevices?: readonly string[];
  /** Watch level at the start (from config); default normal. */
  watch?: WatchLevel;
}

export interface DeviceSnapshot {
  availability: DeviceAvailability | "unknown";
  last: Record<string, { value: number; unit: string; at: string }>;
}

export interface WatchState {
  level: WatchLevel;
  /** Wall ms when it returns to normal, if set. */
  untilMs?: number;
}

/** Per device: availability, last values, and when a reading last came. */
interface DeviceRecord {
  availability: DeviceAvailability | "unknown";
  last: Map<string, { value: number; wallMs: number }>;
  lastReadingMono: number;
  sense: string | undefined;
  /** First and last counter values of the local day, for the daily record. */
  water0: number;
  water1: number;
  energy0: number;
  energy1: number;
}

const ROUTINE_KEY = "pipeline.routine";
/** The device named in alerts about the gateway itself. */
const GATEWAY_DEVICE = "gateway";
const powerKey = (device: string) => `pipeline.power.${device}`;

/**
 * Readings and button presses in; alerts, events, summaries and telemetry out (to the outbox). Knows
 * no MQTT, no SQL, no serial port. Every timed decision runs in one tick a minute on the injected
 * clock, so replay on a virtual clock takes exactly the decisions the live agent would.
 */
export class Pipeline implements ReadingSink {
  readonly alerts: AlertManager;
  readonly routine: Routine;
  readonly #o: PipelineOptions;
  readonly #d: Required<Omit<DetectionOptions, "windows" | "morningDeadlineMin">> & DetectionOptions;
  readonly #lc: LocalClock;
  readonly #activity: ActivityExtractor;
  readonly #rule: SilenceRule;
  /** Keyed by device id. */
  readonly #devices = new Map<string, DeviceRecord>();
  /** Receivers (BLE adapters) by id: since when (monotonic) one has been unable to hear, and why. */
  readonly #receivers = new Map<string, { deafSinceMono: number; detail: string }>();
  /** Monotonic time of the last telemetry message, keyed by device. */
  readonly #telemetrySent = new Map<string, number>();
  /** Alerts touched today (alert id → kind and latest state), for the daily record. */
  readonly #dayAlerts = new Map<
    string,
    { alert: string; kind: AlertBody["kind"]; state: AlertBody["state"] }
  >();
  #lastActivity: Activity | undefined;
  /** Wall time the current silence is measured from: the last activity, a return, an acknowledgement. */
  #silenceFromWall = 0;
  #tick: Timer | undefined;
  #stopped = true;
  #watch: WatchState = { level: "normal" };
  readonly #lights = new NightLights();
  /** Half-hour key of the last NightLights roll. */
  #halfHourKey = -1;
  /** The local hour being observed for the routine (day × 24 + hour), and what happened in it. */
  #hourKey = -1;
  #hourActive = false;
  /** The hour cannot teach the routine: partly seen, away, unobserved, or under an alert. */
  #hourSpoiled = true;
  /** Today's daily record. */
  #day = -1;
  #byHour: number[] = new Array<number>(24).fill(0);
  #firstWall = 0;
  #lastWall = 0;

  constructor(o: PipelineOptions) {
    this.#o = o;
    const d = o.detection;
    this.#d = {
      minStepW: 25,
      morningMinSilenceMs: 4 * H,
      powerLearnMs: 24 * H,
      leakAfterMs: 2 * H,
      leakGapMs: 20 * M,
      degradedAfterMs: 45 * M,
      outageVoltageV: 100,
      heightenedFactor: 0.5,
      learningDays: 14,
      routine: true,
      routineAlpha: 0.001,
      routineMinSilenceMs: 2 * H,
      routineSlowWeeks: 8,
      lightsOnAfterMin: 120,
      lightsOnSilenceMs: 2 * H,
      summary: true,
      summaryMeterValues: true,
      // Required fields of `d` stay; only the options left undefined take a default.
      ...(stripUndefined(d) as DetectionOptions),
    };
    this.#lc = new LocalClock(o.timeZone);
    if (o.watch) this.#watch = { level: o.watch };
    const sink = o.sink;
    const dayAlerts = this.#dayAlerts;
    // Every alert state written is also remembered for the day's record.
    const recording: MessageSink = {
      putAlert: (b) => {
        sink.putAlert(b);
        dayAlerts.set(b.alert, { alert: b.alert, kind: b.kind, state: b.state });
      },
      putEvent: (b) => sink.putEvent(b),
      putTelemetry: (b) => sink.putTelemetry(b),
      putSummary: (b) => sink.putSummary(b),
    };
    this.alerts = new AlertManager({
      sink: recording,
      clock: o.clock,
      ids: o.ids,
      timeZone: o.timeZone,
      log: o.log,
    });
    this.routine = new Routine({ learningDays: this.#d.learningDays, slowWeeks: this.#d.routineSlowWeeks });
    this.#activity = new ActivityExtractor(
      {
        powerStepW: d.powerStepW,
        minStepW: this.#d.minStepW,
        powerLearnMs: this.#d.powerLearnMs,
        waterResolutionM3: o.waterResolutionM3 ?? 0.001,
        leakAfterMs: this.#d.leakAfterMs,
        leakGapMs: this.#d.leakGapMs,
        outageVoltageV: this.#d.outageVoltageV,
        energyWindowMs: 5 * M,
      },
      {
        leakStarted: (device, rate, since) => this.#leakStarted(device, rate, since),
        leakEnded: (device) => this.#closeKind("leak", device, { flow: "stopped" }),
        outageStarted: (device, v) => {
          if (!this.alerts.findOpen("power_outage"))
            this.alerts.raise(
              "power_outage",
              { voltage_v: v, note: "electricity silence is not counted" },
              device,
            );
        },
        outageEnded: (device, v) => this.#closeKind("power_outage", device, { voltage_v: v }),
      },
    );
    this.#rule = new SilenceRule(
      {
        sleepStartMin: d.sleepStartMin,
        sleepEndMin: d.sleepEndMin,
        maxSilenceDayMs: d.maxSilenceDayMs,
        maxSilenceNightMs: d.maxSilenceNightMs,
        ...(d.windows ? { windows: d.windows } : {}),
        ...(d.morningDeadlineMin !== undefined ? { morningDeadlineMin: d.morningDeadlineMin } : {}),
        morningMinSilenceMs: this.#d.morningMinSilenceMs,
      },
      o.clock.monotonicMs(),
    );
  }

  start(open: readonly OpenAlert[] = []): void {
    this.#stopped = false;
    this.alerts.restore(open);
    this.#load();
    const now = this.#o.clock.monotonicMs();
    this.#rule.resetTo(now);
    this.#silenceFromWall = this.#o.clock.wallMs();
    for (const id of this.#o.expectedDevices ?? []) this.#device(id).lastReadingMono = now;
    const local = this.#lc.at(this.#o.clock.wallMs());
    this.#hourKey = local.day * 24 + local.hour;
    this.#hourSpoiled = true;
    this.#day = local.day;
    this.#tick = this.#o.clock.setInterval(() => this.#onTick(), M);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#tick?.cancel();
    this.#tick = undefined;
    this.#save();
  }

  // ---- ReadingSink ----

  readings(batch: readonly Reading[]): void {
    if (this.#stopped || batch.length === 0) return;
    const wall = this.#o.clock.wallMs();
    const nightHour = this.#lc.at(wall).hour < 5;
    for (const r of batch) {
      const dev = this.#device(r.device);
      if (!(dev.lastReadingMono >= r.mono)) dev.lastReadingMono = r.mono;
      dev.sense ??= senseOf(r.channel);
      const slot = dev.last.get(r.channel);
      if (slot) {
        slot.value = r.value;
        slot.wallMs = wall;
      } else dev.last.set(r.channel, { value: r.value, wallMs: wall });
      if (r.channel === "water_total_m3") {
        if (Number.isNaN(dev.water0)) dev.water0 = r.value;
        dev.water1 = r.value;
      } else if (r.channel === "energy_total_kwh") {
        if (Number.isNaN(dev.energy0)) dev.energy0 = r.value;
        dev.energy1 = r.value;
      }
      if (r.channel === "power_w" && !this.#activity.inOutage(r.device)) this.#lights.power(r.value);
      const a = this.#activity.fromReading(r, wall, nightHour);
      if (a) this.#onActivity(a);
    }
    // A sense that answers again is no longer degraded.
    for (const r of batch) {
      const open = this.alerts.findOpen("monitoring_degraded", r.device);
      if (open)
        this.alerts.transition(open.alert, "cleared", "recovered", {
          device: r.device,
          sense: this.#device(r.device).sense,
        });
    }
    if (this.#o.telemetry !== false) this.#telemetry(batch, wall);
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
    const snap = this.#device(device);
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

  receiver(id: string, ok: boolean, detail: string): void {
    if (this.#stopped) return;
    const now = this.#o.clock.monotonicMs();
    if (ok) {
      this.#receivers.delete(id);
      const open = this.alerts.findOpen("monitoring_degraded", id);
      if (open)
        this.alerts.transition(open.alert, "cleared", "recovered", { device: id, sense: "ble_receiver" });
      return;
    }
    const r = this.#receivers.get(id);
    if (r) r.detail = detail;
    else this.#receivers.set(id, { deafSinceMono: now, detail });
  }

  /**
   * The gateway's own power: off mains (running on its battery) is a power cut, whatever the meters
   * say; they are powered from the mains and fall silent with it.
   */
  gatewayPower(onMains: boolean, detail: string): void {
    if (this.#stopped) return;
    const open = this.alerts.findOpen("power_outage", GATEWAY_DEVICE);
    if (!onMains && !open)
      this.alerts.raise(
        "power_outage",
        {
          source: "gateway power supply",
          detail,
          note: "the gateway runs on its battery; electricity silence and silent meters are not counted against the person",
        },
        GATEWAY_DEVICE,
      );
    else if (onMains && open)
      this.#closeKind("power_outage", GATEWAY_DEVICE, { source: "gateway power supply", detail });
  }

  // ---- commands ----

  acknowledge(alert: string, by?: string): AlertRecord {
    const rec = this.alerts.transition(alert, "acknowledged", "cloud", {}, by);
    // A carer has looked into this silence: a new one starts now, or the same silence would raise
    // a new alert a minute later (a storm of repeats).
    if (rec.kind === "inactivity") this.#restartSilence();
    return rec;
  }

  #restartSilence(): void {
    this.#rule.resetTo(this.#o.clock.monotonicMs());
    this.#silenceFromWall = this.#o.clock.wallMs();
  }

  raiseTest(): AlertRecord {
    return this.alerts.raise("test", { note: "test alert requested" });
  }

  /**
   * Sets the watch level (from the cloud's `watch` command or config). `away`: no inactivity alerts
   * (a call still alerts); `heightened`: every limit times the heightened factor. With `untilMs`
   * (wall), it returns to normal then.
   */
  setWatch(level: WatchLevel, untilMs?: number): WatchState {
    const was = this.#watch.level;
    this.#watch = untilMs !== undefined ? { level, untilMs } : { level };
    // Back from away: the silence starts now, not when the person left.
    if (was === "away" && level !== "away") this.#restartSilence();
    if (level === "away") this.#hourSpoiled = true;
    this.#o.sink.putEvent({
      event: "watch_level",
      data: {
        level,
        previous: was,
        ...(untilMs !== undefined ? { until: isoWithOffset(untilMs, this.#o.timeZone) } : {}),
      },
    });
    return this.watch();
  }

  watch(): WatchState {
    return { ...this.#watch };
  }

  // ---- inspection ----

  devices(): Record<string, DeviceSnapshot> {
    const out: Record<string, DeviceSnapshot> = {};
    for (const [id, d] of this.#devices) {
      const last: DeviceSnapshot["last"] = {};
      for (const [ch, v] of d.last)
        last[ch] = {
          value: v.value,
          unit: channelUnit(ch as Reading["channel"]),
          at: isoWithOffset(v.wallMs, this.#o.timeZone),
        };
      out[id] = { availability: d.availability, last };
    }
    return out;
  }

  lastActivity(): (Activity & { silence_s: number }) | undefined {
    const a = this.#lastActivity;
    return a ? { ...a, silence_s: Math.round((this.#o.clock.monotonicMs() - a.mono) / 1000) } : undefined;
  }

  /** Learned steps taken for machines (fridge, freezer), per device, in W. */
  machines(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    const wall = this.#o.clock.wallMs();
    for (const [d, m] of this.#activity.powerModels()) out[d] = m.machines(wall);
    return out;
  }

  // ---- internals ----

  #device(id: string): DeviceRecord {
    let s = this.#devices.get(id);
    if (!s) {
      s = {
        availability: "unknown",
        last: new Map(),
        lastReadingMono: Number.NaN,
        sense: undefined,
        water0: Number.NaN,
        water1: Number.NaN,
        energy0: Number.NaN,
        energy1: Number.NaN,
      };
      this.#devices.set(id, s);
    }
    return s;
  }

  #telemetry(batch: readonly Reading[], wall: number): void {
    const now = this.#o.clock.monotonicMs();
    const every = this.#o.telemetryIntervalMs ?? 0;
    const byDevice = new Map<string, Reading[]>();
    for (const r of batch) {
      const list = byDevice.get(r.device) ?? [];
      list.push(r);
      byDevice.set(r.device, list);
    }
    const at = isoWithOffset(wall, this.#o.timeZone);
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

  #onActivity(a: Activity): void {
    this.#lastActivity = a;
    const wall = this.#o.clock.wallMs() - (this.#o.clock.monotonicMs() - a.mono);
    this.#silenceFromWall = wall;
    this.#rule.activity(a.mono);
    this.#hourActive = true;
    const local = this.#lc.at(wall);
    if (local.day === this.#day) {
      this.#byHour[local.hour] = (this.#byHour[local.hour] as number) + 1;
      if (this.#firstWall === 0) this.#firstWall = wall;
      this.#lastWall = wall;
    }
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
        strength: a.strength,
        detail: a.detail,
      },
    };
  }

  #closeKind(kind: "leak" | "power_outage", device: string, evidence: Record<string, unknown>): void {
    const open = this.alerts.findOpen(kind, device);
    if (open) this.alerts.transition(open.alert, "cleared", "recovered", evidence);
  }

  #leakStarted(device: string, rateM3h: number, sinceMono: number): void {
    if (this.alerts.findOpen("leak", device)) return;
    const agoMs = this.#o.clock.monotonicMs() - sinceMono;
    this.alerts.raise(
      "leak",
      {
        flow_l_per_h: Math.round(rateM3h * 1000 * 10) / 10,
        flowing_since: isoWithOffset(this.#o.clock.wallMs() - agoMs, this.#o.timeZone),
        flowing_s: Math.round(agoMs / 1000),
        note: "continuous flow: a leak, a tap left running, or a person who cannot turn it off",
      },
      device,
    );
  }

  /** Time not counted as silence: a power cut, or every sense the home has gone quiet. */
  #paused(): boolean {
    if (this.alerts.findOpen("power_outage")) return true;
    let senses = 0;
    let degraded = 0;
    for (const [id, d] of this.#devices) {
      if (d.sense === undefined && Number.isNaN(d.lastReadingMono)) continue;
      senses++;
      if (this.alerts.findOpen("monitoring_degraded", id)) degraded++;
    }
    return senses > 0 && degraded === senses;
  }

  #onTick(): void {
    if (this.#stopped) return;
    const now = this.#o.clock.monotonicMs();
    const wall = this.#o.clock.wallMs();
    const local = this.#lc.at(wall);
    if (this.#watch.untilMs !== undefined && wall >= this.#watch.untilMs) this.setWatch("normal");
    this.#activity.checkLeaks(now);
    this.#checkDegraded(now, wall);
    const paused = this.#paused();
    if (paused) this.#hourSpoiled = true;
    this.#rollHour(local);
    const half = local.day * 48 + Math.floor(local.minuteOfDay / 30);
    if (half !== this.#halfHourKey) {
      if (this.#halfHourKey >= 0)
        this.#lights.roll(
          local.hour >= 2 && local.hour < 5,
          !this.#hourSpoiled && !this.alerts.findOpen("inactivity"),
        );
      this.#halfHourKey = half;
    }
    this.#checkSilence(now, wall, local, paused);
    this.#escalate(now);
  }

  #checkDegraded(now: number, wall: number): void {
    for (const [id, r] of this.#receivers) {
      const deaf = now - r.deafSinceMono;
      if (deaf < this.#d.degradedAfterMs || this.alerts.findOpen("monitoring_degraded", id)) continue;
      this.alerts.raise(
        "monitoring_degraded",
        {
          sense: "ble_receiver",
          detail: r.detail,
          since: isoWithOffset(wall - deaf, this.#o.timeZone),
          missing_s: Math.round(deaf / 1000),
          note: "the call button and BLE sensors cannot be heard until the receiver is back",
        },
        id,
      );
    }
    const onBattery = this.alerts.findOpen("power_outage", GATEWAY_DEVICE) !== undefined;
    for (const [id, d] of this.#devices) {
      if (Number.isNaN(d.lastReadingMono) || now - d.lastReadingMono < this.#d.degradedAfterMs) continue;
      if (this.alerts.findOpen("monitoring_degraded", id)) continue;
      // A mains-powered meter silent in a power cut is explained by the cut.
      if (onBattery && d.sense === "electricity") continue;
      const missing = now - d.lastReadingMono;
      this.alerts.raise(
        "monitoring_degraded",
        {
          sense: d.sense ?? "unknown",
          last_seen: Number.isNaN(d.lastReadingMono) ? null : isoWithOffset(wall - missing, this.#o.timeZone),
          missing_s: Math.round(missing / 1000),
          note: "no data is not no activity: this gap is not counted as silence while nothing is observed",
        },
        id,
      );
    }
  }

  #rollHour(local: LocalTime): void {
    const key = local.day * 24 + local.hour;
    if (key === this.#hourKey) return;
    const prevHourOfWeek = ((((Math.floor(this.#hourKey / 24) + 3) % 7) + 7) % 7) * 24 + (this.#hourKey % 24);
    if (!this.#hourSpoiled && key === this.#hourKey + 1)
      this.routine.observe(prevHourOfWeek, this.#hourActive);
    this.#hourKey = key;
    this.#hourActive = false;
    this.#hourSpoiled = this.#watch.level === "away" || this.alerts.findOpen("inactivity") !== undefined;
    if (local.day !== this.#day) {
      this.#summarise();
      this.#day = local.day;
      this.#save();
    }
  }

  #checkSilence(now: number, wall: number, local: LocalTime, paused: boolean): void {
    const factor = this.#watch.level === "heightened" ? this.#d.heightenedFactor : 1;
    const v = this.#rule.check(now, local, {
      paused,
      factor,
      lastActivityWallMs: this.#silenceFromWall,
      sleepEndWallMs: this.#lc.wallOf(local.day, this.#d.sleepEndMin),
    });
    if (this.#watch.level === "away" || this.alerts.findOpen("inactivity")) return;
    if (v) {
      this.#raiseInactivity(v, undefined);
      return;
    }
    if (!paused && this.#lightsLeftOn(local, factor)) return;
    if (!this.#d.routine || paused || !this.routine.ready()) return;
    const counted = this.#rule.countedMs();
    if (counted < this.#d.routineMinSilenceMs * factor) return;
    const q = this.#quietProbability(this.#silenceFromWall, wall);
    if (q < this.#d.routineAlpha / factor) {
      this.#raiseInactivity(
        {
          rule: "max_silence_day",
          silenceMs: now - this.#rule.lastActivityMono(),
          countedMs: counted,
          thresholdMs: counted,
          night: this.#rule.isNight(local),
        },
        {
          quiet_probability: Math.round(q * 1e5) / 1e5,
          usual_activity_this_hour: Math.round(this.routine.p(local.hourOfWeek) * 100) / 100,
        },
      );
    }
  }

  /**
   * At `lightsOnAfterMin` into the sleep window and the two half hours after: lights left on (the home
   * drew clearly more than on usual nights throughout the last hour) and a long silence.
   */
  #lightsLeftOn(local: LocalTime, factor: number): boolean {
    const after = this.#d.lightsOnAfterMin;
    if (after === undefined || after <= 0 || local.minuteOfDay % 30 !== 0) return false;
    const start = this.#d.sleepStartMin;
    const into = (local.minuteOfDay - start + 1440) % 1440;
    const length = (this.#d.sleepEndMin - start + 1440) % 1440;
    // Three looks, an hour apart at most: later in the night a light on is less telling than the
    // morning deadline, and a compressor's long run would be mistaken for one.
    if (into < after || into > after + 60 || into >= length) return false;
    const excess = this.#lights.excessW();
    const counted = this.#rule.countedMs();
    if (!(excess >= this.#d.minStepW) || counted < this.#d.lightsOnSilenceMs * factor) return false;
    this.#raiseInactivity(
      {
        rule: "max_silence_night",
        silenceMs: this.#o.clock.monotonicMs() - this.#rule.lastActivityMono(),
        countedMs: counted,
        thresholdMs: this.#d.lightsOnSilenceMs * factor,
        night: true,
      },
      undefined,
      { lights_on_w: Math.round(excess), usual_night_w: Math.round(this.#lights.baseW()) },
    );
    return true;
  }

  #quietProbability(fromWall: number, toWall: number): number {
    const hours: [number, number][] = [];
    let t = fromWall;
    for (let i = 0; i < 48 && t < toWall; i++) {
      const off = this.#lc.offsetMs(t);
      const hourEnd = (Math.floor((t + off) / H) + 1) * H - off;
      const end = Math.min(hourEnd, toWall);
      hours.push([this.#lc.at(t).hourOfWeek, (end - t) / H]);
      t = end;
    }
    return this.routine.quietProbability(hours);
  }

  #raiseInactivity(
    v: SilenceVerdict,
    routine: Record<string, number> | undefined,
    lights?: Record<string, number>,
  ): void {
    this.alerts.raise("inactivity", {
      ...this.#describe(this.#lastActivity),
      silence_s: Math.round(v.silenceMs / 1000),
      counted_s: Math.round(v.countedMs / 1000),
      threshold_s: Math.round(v.thresholdMs / 1000),
      rule: routine ? "learned_routine" : lights ? "lights_left_on" : v.rule,
      ...(lights ? { power: lights } : {}),
      watch: this.#watch.level,
      ...(routine ? { expected: routine } : {}),
    });
    this.#hourSpoiled = true;
  }

  #summarise(): void {
    if (!this.#d.summary || this.#day < 0) return;
    const tz = this.#o.timeZone;
    let water = 0;
    let energy = 0;
    let haveWater = false;
    let haveEnergy = false;
    for (const d of this.#devices.values()) {
      if (!Number.isNaN(d.water0)) {
        water += d.water1 - d.water0;
        haveWater = true;
      }
      if (!Number.isNaN(d.energy0)) {
        energy += d.energy1 - d.energy0;
        haveEnergy = true;
      }
      d.water0 = d.water1;
      d.energy0 = d.energy1;
    }
    const body: SummaryBody = {
      date: LocalClock.dateOf(this.#day),
      first_activity: this.#firstWall ? isoWithOffset(this.#firstWall, tz) : null,
      last_activity: this.#lastWall ? isoWithOffset(this.#lastWall, tz) : null,
      active_hours: this.#byHour.filter((n) => n > 0).length,
      activity_by_hour: [...this.#byHour],
      alerts: [...this.#dayAlerts.values()],
      ...(this.#d.summaryMeterValues && haveWater ? { water_m3: Math.round(water * 1000) / 1000 } : {}),
      ...(this.#d.summaryMeterValues && haveEnergy ? { energy_kwh: Math.round(energy * 1000) / 1000 } : {}),
    };
    this.#o.sink.putSummary(body);
    this.#byHour.fill(0);
    this.#firstWall = 0;
    this.#lastWall = 0;
    this.#dayAlerts.clear();
    // Alerts still open carry over into tomorrow's record.
    for (const a of this.alerts.open())
      this.#dayAlerts.set(a.alert, { alert: a.alert, kind: a.kind, state: a.state });
  }

  #load(): void {
    const store = this.#o.store;
    if (!store) return;
    const r = store.get(ROUTINE_KEY);
    if (r) {
      try {
        this.routine.restore(JSON.parse(r) as RoutineState);
      } catch (e) {
        this.#o.log.warn({ err: e }, "Learned routine in the store is unreadable; learning again");
      }
    }
    for (const id of this.#o.expectedDevices ?? []) this.#loadPower(id);
  }

  #loadPower(device: string): void {
    const p = this.#o.store?.get(powerKey(device));
    if (!p) return;
    try {
      this.#activity.restorePower(device, JSON.parse(p) as PowerModelState);
    } catch (e) {
      this.#o.log.warn(
        { err: e, device },
        `Learned power model of '${device}' is unreadable; learning again`,
      );
    }
  }

  #save(): void {
    const store = this.#o.store;
    if (!store) return;
    store.set(ROUTINE_KEY, JSON.stringify(this.routine.toJSON()));
    for (const [d, m] of this.#activity.powerModels()) store.set(powerKey(d), JSON.stringify(m.toJSON()));
  }

  #escalate(now: number): void {
    for (const a of this.alerts.open()) {
      if (a.state !== "raised" || (a.kind !== "inactivity" && a.kind !== "call")) continue;
      if (now - a.changedMono < this.#d.escalateAfterMs) continue;
      this.alerts.transition(a.alert, "escalated", "timeout", {
        ...(a.kind === "inactivity" ? this.#describe(this.#lastActivity) : {}),
        open_for_s: Math.round((now - a.changedMono) / 1000),
      });
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
