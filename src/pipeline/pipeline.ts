import type { TelemetryBody, WatchLevel } from "../contract/messages.js";
import { isoWithOffset } from "../contract/timestamps.js";
import type { Timer } from "../core/clock.js";
import type { ButtonPress, DeviceAvailability, Reading, ReadingSink } from "../core/readings.js";
import { MINUTE_MS, SECOND_MS } from "../core/time.js";
import type { Activity, ActivityExtractor } from "./activity.js";
import { AlertManager, type AlertRecord } from "./alerts.js";
import { pressButton } from "./button-press.js";
import { Checkin } from "./checkin.js";
import { Coverage } from "./coverage.js";
import { DailyRecord } from "./daily-record.js";
import { DeviceRegistry, type DeviceSnapshot } from "./device-registry.js";
import { Escalation } from "./escalation.js";
import { FallFollower } from "./falls.js";
import { type HealthReading, type HealthRecorder, healthRecorderFor } from "./health.js";
import { InactivityClearing } from "./inactivity-clearing.js";
import {
  type InactivityFinding,
  InactivityVerdicts,
  inactivityEvidence,
  lastActivityEvidence,
} from "./inactivity-verdicts.js";
import { loadModels, ROUTINE_KEY, saveModels } from "./learned-models.js";
import { LocalClock, type LocalTime } from "./local-time.js";
import { followGatewayPower, meterActivity, meterAlertHooks } from "./meter-alerts.js";
import { type PipelineOptions, type ResolvedDetection, resolveDetection } from "./options.js";
import { Outings, outingOptions } from "./outings.js";
import type { OpenAlert } from "./ports.js";
import { Prealarm, withPrealarmLimits } from "./prealarm.js";
import { Routine } from "./routine.js";
import { RoutineHours } from "./routine-hours.js";
import { SilenceEvidence } from "./silence-evidence.js";
import { followStorage } from "./storage-alert.js";
import { TelemetrySlots } from "./telemetry.js";
import { Watch, type WatchState, watchEvent } from "./watch.js";

/**
 * Readings and button presses in; alerts, events, summaries and telemetry out (to the outbox). Knows
 * no MQTT, no SQL, no serial port. Every timed decision runs in one tick a minute on the injected
 * clock, so replay on a virtual clock takes exactly the decisions the live agent would; a throw in
 * it is logged and the next minute runs again. Each part keeps one job; this class routes to them.
 */
export class Pipeline implements ReadingSink {
  readonly alerts: AlertManager;
  readonly routine: Routine;
  readonly #o: PipelineOptions;
  readonly #d: ResolvedDetection;
  readonly #lc: LocalClock;
  readonly #activity: ActivityExtractor;
  readonly #devices = new DeviceRegistry();
  readonly #coverage: Coverage;
  readonly #telemetry: TelemetrySlots;
  readonly #watch: Watch;
  readonly #hours: RoutineHours;
  readonly #verdicts: InactivityVerdicts;
  readonly #daily: DailyRecord;
  readonly #escalation: Escalation;
  readonly #falls: FallFollower;
  readonly #clearing = new InactivityClearing();
  readonly #evidence = new SilenceEvidence();
  readonly #prealarm: Prealarm;
  readonly #checkin: Checkin | undefined;
  readonly #outings: Outings;
  /** Only where the home opted in to health monitors. */
  readonly #health: HealthRecorder | undefined;
  #tick: Timer | undefined;
  #stopped = true;
  #lastSign: Activity | undefined;
  // The minute tick's questions, made once rather than as a closure each tick (a replay profile).
  readonly #halfHourLearns = () => !this.#hours.spoiled && !this.alerts.findOpen("inactivity");
  readonly #hourSpoiled = () =>
    this.#watch.level === "away" || this.#outings.out || this.alerts.findOpen("inactivity") !== undefined;

  constructor(o: PipelineOptions) {
    this.#o = o;
    const d = resolveDetection(o.detection);
    this.#d = d;
    this.#lc = new LocalClock(o.timeZone);
    this.#watch = new Watch(d.heightenedFactor, o.watch);
    const put = (b: TelemetryBody) => o.sink.putTelemetry(b);
    this.#telemetry = new TelemetrySlots({ everyMs: o.telemetryIntervalMs ?? 0, clock: o.clock, put });
    this.#daily = new DailyRecord(o.timeZone);
    const sink = o.sink;
    const recording = this.#daily.recording(sink);
    this.alerts = new AlertManager({
      sink: recording,
      clock: o.clock,
      ids: o.ids,
      timeZone: o.timeZone,
      log: o.log,
      ...(o.downgrade !== undefined ? { downgrade: o.downgrade } : {}),
    });
    this.#falls = new FallFollower(this.alerts, o.clock, o.timeZone);
    this.routine = new Routine({ learningDays: d.learningDays, slowWeeks: d.routineSlowWeeks });
    this.#hours = new RoutineHours(this.routine);
    this.#coverage = new Coverage({
      alerts: this.alerts,
      devices: this.#devices,
      degradedAfterMs: d.degradedAfterMs,
      heardEvery: o.heardEvery,
      timeZone: o.timeZone,
    });
    this.#activity = meterActivity(d, o.waterResolutionM3, meterAlertHooks(this.alerts, o.clock, o.timeZone));
    this.#verdicts = new InactivityVerdicts(withPrealarmLimits(d), o.clock, this.#lc, this.routine);
    this.#prealarm = new Prealarm(d, {
      ...o,
      putEvent: (b) => sink.putEvent(b),
      lightsOn: () => this.#verdicts.lightsOnNow(),
      raise: (f, extra) => this.#raiseInactivity(f, extra),
      restartSilence: (ordinary) => this.#restartSilence(ordinary),
    });
    this.#checkin = d.checkinByMin !== undefined ? new Checkin(d.checkinByMin, d.sleepEndMin) : undefined;
    this.#outings = new Outings(outingOptions(d), {
      alerts: this.alerts,
      sink: recording,
      lc: this.#lc,
      timeZone: o.timeZone,
    });
    this.#health = healthRecorderFor(o, this.alerts, recording, this.#daily);
    this.#escalation = new Escalation(this.alerts, d.escalateAfterMs, () =>
      this.#lastActivityEvidence(this.#verdicts.lastActivity),
    );
  }

  start(open: readonly OpenAlert[] = []): void {
    this.#stopped = false;
    this.alerts.restore(open);
    if (this.#o.store)
      loadModels(
        this.#o.store,
        this.routine,
        this.#activity,
        this.#o.expectedDevices ?? [],
        this.#o.log,
        this.#verdicts.stillness,
      );
    const now = this.#o.clock.monotonicMs();
    this.#verdicts.restart(now, this.#o.clock.wallMs());
    // Resumed: the store holds what an earlier run learned (outings.ts: a restart while out).
    this.#outings.start(now, this.#o.clock.wallMs(), this.#o.store?.get(ROUTINE_KEY) !== undefined);
    for (const id of this.#o.expectedDevices ?? []) this.#devices.get(id).lastReadingMono = now;
    const local = this.#lc.at(this.#o.clock.wallMs());
    this.#hours.start(local);
    this.#checkin?.start(local);
    this.#health?.start(this.#o.clock.wallMs());
    this.#daily.setDay(local.day);
    this.#tick = this.#o.clock.setInterval(() => this.#onTick(), MINUTE_MS);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#tick?.cancel();
    this.#tick = undefined;
    this.#telemetry.flush();
    this.#save();
  }

  // ---- ReadingSink ----

  readings(batch: readonly Reading[]): void {
    if (this.#stopped || batch.length === 0) return;
    const wall = this.#o.clock.wallMs();
    const nightHour = this.#lc.at(wall).hour < 5;
    for (const r of batch) {
      this.#devices.record(r, wall);
      if (!this.#activity.inOutage(r.device)) this.#verdicts.meter(r, wall);
      // A fall raised while a pre-alarm waits ends it into the fall, as a call does (prealarm.ts).
      if (r.channel === "fall") this.#prealarm.call(this.#falls.follow(r), "fall");
      if (r.channel === "door") this.#outings.doorReading(r);
      const a = this.#activity.fromReading(r, wall, nightHour);
      if (a) this.#onActivity(a);
    }
    this.#coverage.answered(batch);
    if (this.#o.telemetry !== false) this.#telemetry.readings(batch, isoWithOffset(wall, this.#o.timeZone));
  }

  button(press: ButtonPress): void {
    if (this.#stopped) return;
    const local = () => this.#lc.at(this.#o.clock.wallMs());
    const parts = {
      alerts: this.alerts,
      prealarm: this.#prealarm,
      checkin: this.#checkin,
      sink: this.#o.sink,
      local,
    };
    pressButton(press, this.#o.buttonAction(press.device, press.event), parts);
    this.#onActivity({
      device: press.device,
      source: "button",
      strength: 1,
      mono: press.mono,
      detail: `button ${press.event}`,
    });
  }

  /** A health monitor's measurement (health.ts); someone used the device, so it is activity too. */
  health(m: HealthReading): void {
    if (!this.#stopped) this.#health?.record(m, (a) => this.#onActivity(a));
  }

  availability(device: string, state: DeviceAvailability, reason: string): void {
    if (this.#stopped) return;
    if (!this.#devices.setAvailability(device, state)) return;
    this.#o.sink.putEvent({
      event: state === "online" ? "device_online" : "device_offline",
      device,
      data: { reason },
    });
    const open = this.alerts.findOpen("device_offline", device);
    if (state === "offline" && !open) this.alerts.raise("device_offline", { reason }, device);
    if (state === "online" && open) this.alerts.transition(open.alert, "cleared", "recovered", { reason });
  }

  receiver(id: string, ok: boolean, detail: string, what?: { sense: string; note: string }): void {
    if (this.#stopped) return;
    this.#coverage.receiver(id, ok, detail, this.#o.clock.monotonicMs(), what);
  }

  /**
   * The gateway's own power: off mains (running on its battery) is a power cut, whatever the meters
   * say; they are powered from the mains and fall silent with it.
   */
  gatewayPower(onMains: boolean, detail: string): void {
    if (!this.#stopped) followGatewayPower(this.alerts, onMains, detail);
  }

  /** The outbox's storage failed (`fault`) or is healthy again (undefined): see storage-alert.ts. */
  storage(fault: Record<string, unknown> | undefined): void {
    if (!this.#stopped) followStorage(this.alerts, fault);
  }

  // ---- commands ----

  acknowledge(alert: string, by?: string): AlertRecord {
    const rec = this.alerts.transition(alert, "acknowledged", "cloud", {}, by);
    // A carer has looked into this silence: a new one starts now, or the same silence would raise
    // a new alert a minute later (a storm of repeats).
    if (rec.kind === "inactivity") this.#restartSilence();
    return rec;
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
    const was = this.#watch.set(level, untilMs);
    // Back from away: the silence starts now, not when the person left.
    if (was === "away" && level !== "away") this.#restartSilence();
    if (level === "away") {
      this.#hours.spoil();
      this.#prealarm.drop("watch_away");
    }
    this.#o.sink.putEvent(watchEvent(level, was, untilMs, this.#o.timeZone));
    return this.watch();
  }

  watch(): WatchState {
    return this.#watch.state();
  }

  devices(): Record<string, DeviceSnapshot> {
    return this.#devices.snapshots(this.#o.timeZone);
  }

  /**
   * The last sign of anyone, whatever its class: a lone PIR trigger too, which `lastActivity` (what
   * the silence counts from) leaves out until motion shows someone is up (silence-evidence.ts).
   */
  lastSign(): Activity | undefined {
    return this.#lastSign;
  }

  lastActivity(): (Activity & { silence_s: number }) | undefined {
    const a = this.#verdicts.lastActivity;
    return a
      ? { ...a, silence_s: Math.round((this.#o.clock.monotonicMs() - a.mono) / SECOND_MS) }
      : undefined;
  }

  /** Learned steps taken for machines (fridge, freezer), per device, in W. */
  machines(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    const wall = this.#o.clock.wallMs();
    for (const [d, m] of this.#activity.powerModels()) out[d] = m.machines(wall);
    return out;
  }

  // ---- internals ----

  #restartSilence(ordinary = false): void {
    this.#verdicts.restart(this.#o.clock.monotonicMs(), this.#o.clock.wallMs(), ordinary);
  }

  #onActivity(a: Activity): void {
    this.#lastSign = a;
    const wall = this.#o.clock.wallMs() - (this.#o.clock.monotonicMs() - a.mono);
    // A lone PIR trigger is no proof of a person on their feet (silence-evidence.ts).
    const up = this.#evidence.counts(a);
    this.#verdicts.activity(a, wall, up);
    if (up) this.#hours.active();
    this.#outings.activity(a, wall);
    this.#daily.activity(wall, this.#lc.at(wall));
    this.#prealarm.activity(a);
    const open = this.alerts.findOpen("inactivity");
    if (open && this.#clearing.clears(open.alert, a))
      this.alerts.transition(open.alert, "cleared", "activity", this.#lastActivityEvidence(a));
  }

  #lastActivityEvidence(a: Activity | undefined): Record<string, unknown> {
    return lastActivityEvidence(a, this.#o.clock, this.#o.timeZone);
  }

  #onTick(): void {
    if (this.#stopped) return;
    try {
      // What one tick writes (an alert and the pre-alarm's event beside it) pays one fsync.
      const { sink } = this.#o;
      if (sink.durably) sink.durably(() => this.#tickBody());
      else this.#tickBody();
    } catch (e) {
      this.#o.log.error({ err: e }, "Pipeline tick failed");
    }
  }

  #tickBody(): void {
    const now = this.#o.clock.monotonicMs();
    const wall = this.#o.clock.wallMs();
    const local = this.#lc.at(wall);
    if (this.#watch.expired(wall)) this.setWatch("normal");
    this.#activity.checkLeaks(now);
    this.#coverage.check(now, wall);
    this.#outings.check(now, wall, local, this.#watch.level === "away");
    // Out: the silence is not counted, and the hours out do not teach the routine.
    const paused = this.#coverage.paused() || this.#outings.out;
    if (paused) this.#hours.spoil();
    this.#rollHour(local);
    this.#verdicts.rollHalfHour(local, this.#halfHourLearns);
    // A waiting pre-alarm decides on its own (prealarm.ts): no new finding meanwhile; nor while out.
    const mute = this.#watch.level === "away" || this.#outings.out || !!this.alerts.findOpen("inactivity");
    const asking = this.#prealarm.pending;
    const finding =
      this.#verdicts.check(now, wall, local, { paused, factor: this.#watch.factor(), mute, asking }) ??
      this.#checkin?.missed(local, paused || mute || asking, this.#verdicts.silenceNow(now, local));
    this.#prealarm.tick(now);
    if (finding) this.#prealarm.finding(finding, local);
    this.#escalation.check(now);
    this.#health?.check(wall, local);
  }

  #rollHour(local: LocalTime): void {
    const rolled = this.#hours.roll(local, this.#hourSpoiled);
    if (!rolled || local.day === this.#daily.day) return;
    this.#summarise();
    this.#daily.setDay(local.day);
    this.#save();
  }

  #raiseInactivity(f: InactivityFinding, extra: Record<string, unknown>): string {
    const rec = this.alerts.raise("inactivity", {
      ...inactivityEvidence(f, this.#lastActivityEvidence(this.#verdicts.lastActivity), this.#watch.level),
      ...extra,
    });
    this.#hours.spoil();
    // Commissioning made it a test: nothing mutes the silence now, so it starts again.
    if (rec.kind === "test") this.#restartSilence();
    return rec.alert;
  }

  #summarise(): void {
    if (!this.#d.summary || this.#daily.day < 0) return;
    const body = this.#daily.summary(this.#devices.takeDayUse(), this.#d.summaryMeterValues);
    this.#o.sink.putSummary(body);
    this.#daily.clear(this.alerts.open());
  }

  #save(): void {
    if (!this.#o.store) return;
    try {
      saveModels(this.#o.store, this.routine, this.#activity, this.#verdicts.stillness);
    } catch (e) {
      this.#o.log.error({ err: e }, "Saving learned models failed");
    }
  }
}
