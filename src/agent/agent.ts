import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { LoadedConfig } from "../config/devices.js";
import { heardEveryByDevice } from "../config/heard-every.js";
import type { AlertBody, ReplyBody } from "../contract/messages.js";
import { ControlServer } from "../control/server.js";
import { socketPath } from "../control/socket.js";
import { ErrorCode, errorMessage, HearthError, isHearthError } from "../core/errors.js";
import { SECOND_MS } from "../core/time.js";
import { drainOutcomes } from "../lifecycle/outcomes.js";
import { MAX_RESEND, OUTBOX_FILE, SqliteOutbox } from "../outbox/index.js";
import {
  alertFeedback,
  createOutputs,
  type Outputs,
  prealarmPrompt,
  prepareOutputs,
} from "../outputs/index.js";
import { Commissioning } from "../pipeline/commissioning.js";
import { ROUTINE_KEY } from "../pipeline/learned-models.js";
import { detectionOptions, waterResolutionM3 } from "../pipeline/options.js";
import { Pipeline } from "../pipeline/pipeline.js";
import type { OpenAlert } from "../pipeline/ports.js";
import type { DeviceProfile } from "../profiles/schema.js";
import { persistedSessions, Uplink } from "../uplink/index.js";
import { agentHealth, agentStatus, type StatusParts } from "./agent-status.js";
import { resetBleCounter } from "./ble-counter-reset.js";
import { type CellularPart, deliveryTap, startCellular } from "./cellular.js";
import { ClockSyncWatcher } from "./clock-sync.js";
import type { CommandSecurity } from "./command-guard.js";
import { commandSecurity } from "./command-security.js";
import { createCommandDispatcher, watchUntil } from "./commands.js";
import { commissionHandlers } from "./commission-handlers.js";
import { type RunningDrivers, startDrivers } from "./drivers.js";
import { durablyThenPublish } from "./durably.js";
import { fieldHandlers } from "./field-handlers.js";
import type { AgentHost } from "./host.js";
import { watchGatewayPower } from "./mains.js";
import { hasMotionSensor } from "./motion-sensor.js";
import { bounded } from "./stop-step.js";
import { testAlertHandlers } from "./test-alert.js";

export { STOP_STEP_MS } from "./stop-step.js";

export interface AgentOptions {
  config: LoadedConfig;
  profiles: ReadonlyMap<string, DeviceProfile>;
  host: AgentHost;
  /** Override of config.state_dir. */
  stateDir?: string;
  /** The file the config came from: config_get/config_set read it (none: they refuse). */
  configPath?: string;
}

/**
 * The composition root: the only place that knows every part. Builds the outbox, pipeline, drivers,
 * uplink and control socket, and hands each its collaborators.
 */
export class Agent {
  readonly outbox: SqliteOutbox;
  readonly pipeline: Pipeline;
  readonly uplink: Uplink;
  /** The installer's commissioning mode: which alerts go out as `test` (pipeline/commissioning.ts). */
  readonly commissioning: Commissioning;
  /** Spoken prompts, buzzer and LED for the person (none unless configured): the pre-alarm's voice too. */
  readonly outputs: Outputs;
  readonly stateDir: string;
  readonly #o: AgentOptions;
  readonly #control: ControlServer;
  readonly #clockSync: ClockSyncWatcher;
  readonly #security: CommandSecurity;
  /** Every command from the cloud goes through here (the uplink's handler); tests call it directly. */
  readonly command: (name: string, payload: Buffer) => Promise<ReplyBody>;
  #drivers: RunningDrivers | undefined;
  #cellular: CellularPart | undefined;
  #stopPowerWatch: (() => void) | undefined;
  readonly #startedMono: number;
  #running = false;
  #offStorage: (() => void) | undefined;
  /** Every durable group of the agent: the outbox's `durably`, then the uplink's pass (durably.ts). */
  readonly #durably = durablyThenPublish(this);

  constructor(o: AgentOptions) {
    this.#o = o;
    const { config, host } = o;
    this.stateDir = o.stateDir ?? config.state_dir;
    this.#startedMono = host.netClock.monotonicMs();
    this.outbox = new SqliteOutbox({
      path: join(this.stateDir, OUTBOX_FILE),
      home: config.home.id,
      timeZone: config.home.timezone,
      clock: host.clock,
      ids: host.ids,
      maxSizeBytes: config.outbox.max_size_mb * 1024 * 1024,
      retentionMs: config.outbox.retention,
      telemetryBatch: config.outbox.telemetry_batch,
      telemetryFlushMs: config.outbox.telemetry_flush,
      telemetryHoldMs: config.outbox.telemetry_hold,
      ballastBytes: config.outbox.ballast_mb * 1024 * 1024,
      runtimeDir: config.outbox.runtime_dir,
      log: host.log.child({ module: "outbox" }),
    });
    this.outputs =
      host.outputs ?? createOutputs(config.outputs, this.stateDir, host.log.child({ module: "outputs" }));
    const outbox = this.outbox;
    const outputs = this.outputs;
    const profiles = o.profiles;
    this.commissioning = new Commissioning({
      clock: host.netClock,
      store: this.outbox.kv,
      timeZone: config.home.timezone,
      putEvent: (b) => outbox.putEvent(b),
      log: host.log.child({ module: "commissioning" }),
    });
    const deviceProfile = new Map(config.devices.map((d) => [d.id, profiles.get(d.profile)]));
    this.pipeline = new Pipeline({
      home: config.home.id,
      timeZone: config.home.timezone,
      clock: host.pipelineClock ?? host.clock,
      ids: host.ids,
      // The person hears of a call or fall once it is durable, and after the uplink's publish of it
      // (right after the group's fsync, or in a microtask: both before this setImmediate): starting
      // aplay or gpioset must not delay the alert on its way to the broker. Nothing waits on the outputs.
      sink: {
        putAlert: (b) => {
          const written = outbox.putAlert(b);
          this.#cellular?.written(written);
          setImmediate(() => void alertFeedback(b, outputs));
        },
        putEvent: (b) => outbox.putEvent(b),
        putTelemetry: (b) => outbox.putTelemetry(b),
        putSummary: (b) => outbox.putSummary(b),
        durably: this.#durably,
      },
      log: host.log.child({ module: "pipeline" }),
      // The pre-alarm's `auto` is on only where someone hears the prompt: else it only delays the alert.
      detection: detectionOptions(config.detection, outputs.audible, hasMotionSensor(deviceProfile.values())),
      prompt: prealarmPrompt(outputs),
      waterResolutionM3: waterResolutionM3(config.detection),
      // The learned routine and standby/machine models survive restarts in the outbox's kv table.
      store: this.outbox.kv,
      downgrade: (kind) => this.commissioning.downgrade(kind),
      // Battery sensors, buttons and health monitors report when something happens; only meters are polled.
      expectedDevices: config.devices.filter((d) => "port" in d && d.port !== undefined).map((d) => d.id),
      heardEvery: heardEveryByDevice(config.devices, (id) => profiles.get(id)),
      watch: config.detection.watch,
      telemetryIntervalMs: config.cloud.telemetry_interval,
      health: config.health,
      buttonAction: (device, event) => {
        const p = deviceProfile.get(device);
        if (p?.protocol === "bthome") return p.bthome.actions[event as keyof typeof p.bthome.actions];
        if (p?.protocol === "zigbee2mqtt")
          return p.zigbee2mqtt.actions[event as keyof typeof p.zigbee2mqtt.actions];
        return undefined;
      },
    });
    this.#security = commandSecurity(config, host.log.child({ module: "commands" }));
    this.command = createCommandDispatcher({
      home: config.home.id,
      handlers: {
        ack: (body) => {
          // Checked before anything changes: a mistaken or forged ack of another kind must not close
          // a call (ending its republication) or restart an inactivity alert's silence.
          const open = this.pipeline.alerts.get(body.alert);
          if (open !== undefined && open.kind !== body.kind)
            throw new HearthError(
              `alert ${body.alert} is a ${open.kind} alert, not ${body.kind}: nothing changed`,
              ErrorCode.CommandKindMismatch,
              { alert: body.alert, kind: open.kind, expected: body.kind },
            );
          const rec = this.pipeline.acknowledge(body.alert, body.by);
          return { alert: rec.alert, kind: rec.kind, state: rec.state };
        },
        ping: () => ({ pong: true, version: host.version, uptime_s: this.#uptimeS() }),
        watch: (body) => {
          const untilMs = body.until !== undefined ? watchUntil(body.until, host.clock.wallMs()) : undefined;
          const w = this.pipeline.setWatch(body.level, untilMs);
          return { level: w.level, ...(body.until !== undefined ? { until: body.until } : {}) };
        },
        // Bounded, one at a time, and drained behind fresh messages (src/outbox/delivery.ts).
        resend: (body) => ({ ...this.outbox.resend(body.from_seq, body.to_seq, MAX_RESEND) }),
        ...fieldHandlers({
          ...o,
          configPath: o.configPath,
          stateDir: this.stateDir,
          log: host.log.child({ module: "field" }),
        }),
      },
      clock: host.netClock,
      log: host.log.child({ module: "commands" }),
      security: this.#security,
      // Seen command ids outlive a restart inside their ten-minute window, next to the messages.
      seen: this.outbox.kv,
    });
    this.uplink = new Uplink({
      home: config.home.id,
      timeZone: config.home.timezone,
      brokers: config.cloud.brokers,
      keepaliveMs: config.cloud.keepalive,
      heartbeatMs: config.cloud.heartbeat,
      replayRate: config.cloud.replay_rate,
      backoffInitialMs: config.cloud.backoff_initial,
      backoffMaxMs: config.cloud.backoff_max,
      clock: host.netClock,
      ids: host.ids,
      version: host.version,
      // The SMS fallback (config `sms`) hears of each PUBACK: an acknowledged call sends no SMS.
      source: deliveryTap(this.outbox, (seqs) => this.#cellular?.delivered(seqs)),
      onCommand: this.command,
      health: () => agentHealth(this.#statusParts()),
      // Kept beside the messages, so a receiver's ordering of online/offline survives restarts.
      session: persistedSessions(this.outbox.kv),
      watch: () => this.pipeline.watch().level,
      log: host.log.child({ module: "uplink" }),
    });
    // Messages stamped before NTP synced get corrected times once it has.
    this.#clockSync = new ClockSyncWatcher(host.clock, (correct, jumpMs) => {
      const restamped = this.outbox.restamp(correct);
      this.outbox.putEvent({
        event: "clock_synced",
        data: { jump_s: Math.round(jumpMs / SECOND_MS), restamped },
      });
    });
    this.#control = new ControlServer(
      socketPath(this.stateDir),
      {
        status: () => this.status(),
        ping: () => ({ pong: true }),
        // `hearth routine` while the agent runs: the agent keeps its outbox file to itself.
        learned_routine: () => ({ state: this.outbox.kv.get(ROUTINE_KEY) ?? null }),
        reset_counter: (req) => this.resetBleCounter(String(req.device ?? "")),
        // `hearth decommission` tells the cloud through the outbox, then waits for it to be delivered.
        decommissioned: (req) => ({
          seq: this.outbox.putEvent({ event: "decommissioned", data: { by: String(req.by ?? "") } }).seq,
        }),
        ...commissionHandlers(this.commissioning),
        ...testAlertHandlers({ pipeline: this.pipeline, outbox: this.outbox, uplink: this.uplink }),
      },
      host.log.child({ module: "control" }),
    );
  }

  /**
   * Starts every part. Storage never stops it (a corrupt or read-only outbox runs from memory with a
   * `storage` alert), nor a control socket that cannot be made: the drivers always start, so the
   * call button is never dead. Only another agent on the same state directory refuses the start.
   */
  async start(): Promise<void> {
    const log = this.#o.host.log;
    this.#running = true;
    try {
      mkdirSync(this.stateDir, { recursive: true, mode: 0o750 });
    } catch (e) {
      log.error({ err: e, stateDir: this.stateDir }, "Cannot create the state directory");
    }
    this.outbox.open();
    // What the root helper did while this agent was not running (an update, a config): now an event.
    drainOutcomes(this.stateDir, (e) => this.outbox.putEvent(e));
    prepareOutputs(this.outputs, log);
    // The storage alert follows the outbox's health; the listener runs after the write that failed.
    this.#offStorage = this.outbox.onStorage((f) => this.pipeline.storage(f ? { ...f } : undefined));
    this.pipeline.start(this.#openAlerts());
    this.commissioning.restore();
    // A storage alert left open by the last run, on storage that is fine now.
    if (this.outbox.storageHealth().state === "ok") this.pipeline.storage(undefined);
    this.#clockSync.start();
    try {
      await this.#control.start();
    } catch (e) {
      if (isHearthError(e, ErrorCode.ControlInUse)) throw e;
      log.error({ err: e }, `Control socket not available: ${errorMessage(e)}`);
    }
    this.#cellular = await startCellular({
      config: this.#o.config,
      clock: this.#o.host.netClock,
      outbox: this.outbox,
      pipeline: this.pipeline,
      commissioning: this.commissioning,
      log,
    });
    this.uplink.start();
    this.#drivers = await startDrivers({
      config: this.#o.config,
      profiles: this.#o.profiles,
      host: this.#o.host,
      sink: this.pipeline,
      kv: this.outbox.kv,
      durably: this.#durably,
    });
    const dir = this.#o.host.powerSupplyDir;
    if (this.#o.config.detection.gateway_power === "auto" && dir !== null)
      this.#stopPowerWatch = watchGatewayPower({
        clock: this.#o.host.clock,
        log: log.child({ module: "power" }),
        ...(dir !== undefined ? { dir } : {}),
        report: (p) => this.pipeline.gatewayPower(p.onMains, p.detail),
      });
    log.info(
      {
        home: this.#o.config.home.id,
        devices: this.#o.config.devices.length,
        stateDir: this.stateDir,
        storage: this.outbox.storageHealth().state,
      },
      "Agent started",
    );
  }

  /**
   * Stops every part, each step on its own: one that throws or hangs (past STOP_STEP_MS) is logged and
   * the next still runs, so the uplink and the outbox are always closed and the process can exit.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    const log = this.#o.host.log;
    const steps: [string, () => unknown][] = [
      ["power watch", () => this.#stopPowerWatch?.()],
      ["drivers", () => this.#drivers?.stop()],
      ["clock sync", () => this.#clockSync.stop()],
      ["commissioning", () => this.commissioning.stopTimer()],
      ["sms fallback", () => this.#cellular?.stop()],
      ["pipeline", () => this.pipeline.stop()],
      ["outbox flush", () => this.outbox.flush()],
      ["uplink", () => this.uplink.stop()],
      ["control socket", () => this.#control.stop()],
      ["storage listener", () => this.#offStorage?.()],
      ["outbox", () => this.outbox.close()],
    ];
    let failed = 0;
    for (const [name, run] of steps) {
      try {
        await bounded(name, run);
      } catch (e) {
        failed++;
        log.error({ err: e, step: name }, `Agent stop step failed: ${name}: ${errorMessage(e)}`);
      }
    }
    log.info({ failed_steps: failed }, "Agent stopped");
  }

  /** `hearth reset-counter` (ble-counter-reset.ts). */
  resetBleCounter(device: string): { device: string; reset: true } {
    return resetBleCounter(this.#o.config, this.#drivers, this.outbox, device);
  }

  /** What `hearth status` prints. */
  status(): Record<string, unknown> {
    return agentStatus(this.#statusParts());
  }

  #statusParts(): StatusParts {
    const { host, config } = this.#o;
    return {
      config,
      version: host.version,
      wallSynced: () => host.clock.wallSynced(),
      uptimeS: () => this.#uptimeS(),
      pipeline: this.pipeline,
      outbox: this.outbox,
      uplink: this.uplink,
      drivers: () => this.#drivers,
      security: this.#security,
      commissioning: this.commissioning,
      cellular: () => this.#cellular?.health(),
      log: host.log,
    };
  }

  #uptimeS(): number {
    return Math.round((this.#o.host.netClock.monotonicMs() - this.#startedMono) / SECOND_MS);
  }

  #openAlerts(): OpenAlert[] {
    return this.outbox.openAlerts().map((m) => {
      const b = m.envelope.body as AlertBody;
      return {
        alert: b.alert,
        kind: b.kind,
        state: b.state,
        ...(b.device !== undefined ? { device: b.device } : {}),
        ...(b.since !== undefined ? { since: b.since } : {}),
      };
    });
  }
}
