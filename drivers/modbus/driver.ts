import type { Clock, Timer } from "../../src/core/clock.js";
import { ErrorCode, HearthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { silentLogger } from "../../src/core/log.js";
import type { Reading, ReadingSink } from "../../src/core/readings.js";
import type { ModbusProfile } from "../../src/profiles/modbus.js";
import type { DeviceProfile } from "../../src/profiles/schema.js";
import { resolveProfile } from "../common/meters.js";
import { asHearthError, isBadFrame } from "../common/poller.js";
import type { SerialLinePool } from "../serial/pool.js";
import { type ModbusClient, parseTcpPort, RtuClient, TcpClient } from "./client.js";
import { type PlannedRead, planReads } from "./plan.js";
import { decodeValue, registerWords } from "./values.js";

/** One Modbus device in a home's config. */
export interface ModbusDeviceConfig {
  id: string;
  /** Profile id (a file in device-profiles/) or the profile itself. */
  profile: string | ModbusProfile;
  unit_id: number;
  /** A serial path (`/dev/serial/by-id/...`) or `tcp://host:port`. */
  port: string;
}

export interface ModbusDriverDeps {
  sink: ReadingSink;
  clock: Clock;
  log?: Logger;
  /** Resolves profile ids; not needed when every device carries its profile. */
  profiles?: ReadonlyMap<string, DeviceProfile>;
  /** The process's serial lines (shared with the DL/T 645 and CJ/T 188 drivers); needed for RTU devices. */
  lines?: SerialLinePool;
  /** Builds the TCP client for host:port; default modbus-serial. Injected by tests. */
  tcpClient?: (host: string, port: number) => ModbusClient;
  /** Consecutive failed polls before a device is reported offline. Default 3. */
  offlineAfter?: number;
}

export interface ModbusValue {
  name: string;
  value: number;
  unit: string;
}

export interface PollResult {
  device: string;
  ok: boolean;
  values: ModbusValue[];
  /** One per failed read, after retries. */
  errors: HearthError[];
}

export interface ModbusDeviceStatus {
  id: string;
  availability: "unknown" | "online" | "offline";
  consecutiveFailures: number;
  polls: number;
  failedPolls: number;
  /** Replies that were corrupt or not what was asked (CRC, truncated, malformed, unexpected). */
  badFrames: number;
  timeouts: number;
  exceptions: number;
  lastError?: string;
}

interface DeviceState {
  cfg: ModbusDeviceConfig;
  profile: ModbusProfile;
  plan: PlannedRead[];
  client: ModbusClient | undefined;
  timer: Timer | undefined;
  polling: Promise<PollResult> | undefined;
  status: ModbusDeviceStatus;
}

/**
 * Polls Modbus RTU and TCP devices as their profiles say, and hands semantic readings to the sink.
 * RTU devices go through the shared `SerialLine` of their port; a device that is silent or answers
 * garbage costs only its own timeouts, never another device's readings.
 */
export class ModbusDriver {
  readonly #devices: readonly ModbusDeviceConfig[];
  readonly #deps: ModbusDriverDeps;
  readonly #log: Logger;
  /** Keyed by device id. */
  readonly #state = new Map<string, DeviceState>();
  #running = false;

  constructor(devices: readonly ModbusDeviceConfig[], deps: ModbusDriverDeps) {
    this.#devices = devices;
    this.#deps = deps;
    this.#log = (deps.log ?? silentLogger()).child({ module: "modbus" });
  }

  /** Problems with the device list that would stop it from starting (unknown profile, bad unit id, ...). */
  validate(): string[] {
    const problems: string[] = [];
    const ids = new Set<string>();
    for (const d of this.#devices) {
      if (ids.has(d.id)) problems.push(`device ${d.id}: id used twice`);
      ids.add(d.id);
      const p = this.#resolve(d);
      if (typeof p === "string") problems.push(`device ${d.id}: ${p}`);
      const tcp = parseTcpPort(d.port);
      const maxUnit = tcp ? 255 : 247;
      if (!Number.isInteger(d.unit_id) || d.unit_id < (tcp ? 0 : 1) || d.unit_id > maxUnit)
        problems.push(`device ${d.id}: unit_id ${d.unit_id} is outside ${tcp ? 0 : 1}..${maxUnit}`);
      if (!tcp && /^tcp:/i.test(d.port))
        problems.push(`device ${d.id}: port ${d.port} is not tcp://host:port`);
      if (!tcp && !/^tcp:/i.test(d.port) && !this.#deps.lines)
        problems.push(`device ${d.id}: serial port ${d.port} but the driver was given no serial lines`);
    }
    return problems;
  }

  /** Resolves profiles, acquires lines and schedules the first poll of every device. */
  start(): void {
    if (this.#running) return;
    const problems = this.validate();
    if (problems.length > 0)
      throw new HearthError(
        `Modbus devices are misconfigured: ${problems.join("; ")}`,
        ErrorCode.ConfigInvalid,
        {
          problems,
        },
      );
    const states: DeviceState[] = [];
    try {
      for (const cfg of this.#devices) {
        const profile = this.#resolve(cfg) as ModbusProfile;
        const plan = planReads(profile.modbus.registers, {
          maxRegisters: profile.modbus.max_registers_per_read,
          maxGap: profile.modbus.max_gap,
        });
        states.push({
          cfg,
          profile,
          plan,
          // Throws ConfigInvalid when the port is already held with other serial settings.
          client: this.#makeClient(cfg, profile),
          timer: undefined,
          polling: undefined,
          status: {
            id: cfg.id,
            availability: "unknown",
            consecutiveFailures: 0,
            polls: 0,
            failedPolls: 0,
            badFrames: 0,
            timeouts: 0,
            exceptions: 0,
          },
        });
      }
    } catch (e) {
      for (const st of states)
        if (st.client?.kind === "rtu") void this.#deps.lines?.release(st.cfg.port, st.cfg.id);
      throw e;
    }
    this.#running = true;
    for (const st of states) {
      this.#state.set(st.cfg.id, st);
      // The first poll runs at once; the line's queue keeps devices on one port from colliding.
      st.timer = this.#deps.clock.setTimeout(() => this.#tick(st), 0);
    }
  }

  /** Stops polling, waits for polls in flight, and releases lines and sockets. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    const states = [...this.#state.values()];
    for (const st of states) st.timer?.cancel();
    await Promise.allSettled(states.map((st) => st.polling));
    for (const st of states) {
      await st.client?.close();
      if (st.client?.kind === "rtu") await this.#deps.lines?.release(st.cfg.port, st.cfg.id);
    }
    this.#state.clear();
  }

  status(): ModbusDeviceStatus[] {
    return [...this.#state.values()].map((s) => ({ ...s.status }));
  }

  /** Polls one device now (the `hearth read` command, tests). The driver must be started. */
  pollNow(id: string): Promise<PollResult> {
    const st = this.#state.get(id);
    if (!st)
      return Promise.reject(
        new HearthError(`No Modbus device ${id}`, ErrorCode.ConfigInvalid, { device: id }),
      );
    return this.#poll(st);
  }

  #resolve(cfg: ModbusDeviceConfig): ModbusProfile | string {
    return resolveProfile<ModbusProfile>(cfg.profile, this.#deps.profiles, "modbus");
  }

  #makeClient(cfg: ModbusDeviceConfig, profile: ModbusProfile): ModbusClient {
    const tcp = parseTcpPort(cfg.port);
    if (tcp) return this.#deps.tcpClient?.(tcp.host, tcp.port) ?? new TcpClient(tcp.host, tcp.port);
    const lines = this.#deps.lines as SerialLinePool;
    return new RtuClient(lines.acquire(cfg.port, profile.serial, cfg.id));
  }

  #tick(st: DeviceState): void {
    st.timer = undefined;
    if (!this.#running) return;
    const started = this.#deps.clock.monotonicMs();
    void this.#poll(st).finally(() => {
      if (!this.#running || this.#state.get(st.cfg.id) !== st) return;
      const period = st.profile.timing.poll_interval_s * 1000;
      const wait = Math.max(0, started + period - this.#deps.clock.monotonicMs());
      st.timer = this.#deps.clock.setTimeout(() => this.#tick(st), wait);
    });
  }

  #poll(st: DeviceState): Promise<PollResult> {
    // One poll per device at a time: a manual poll during a scheduled one shares its result.
    if (st.polling !== undefined) return st.polling;
    const p = this.#pollOnce(st).finally(() => {
      st.polling = undefined;
    });
    st.polling = p;
    return p;
  }

  async #pollOnce(st: DeviceState): Promise<PollResult> {
    const { cfg, profile } = st;
    const client = st.client as ModbusClient;
    const timing = {
      timeoutMs: profile.timing.response_timeout_ms,
      gapMs: profile.timing.inter_frame_gap_ms,
    };
    const values: ModbusValue[] = [];
    const readings: Reading[] = [];
    const errors: HearthError[] = [];
    let answered = false;
    for (const read of st.plan) {
      let words: number[] | undefined;
      for (let attempt = 0; attempt <= profile.timing.retries && this.#running; attempt++) {
        try {
          words = await client.read(cfg.unit_id, read.fc, read.address, read.quantity, timing);
          break;
        } catch (e) {
          const err = asHearthError(e, cfg.id);
          this.#count(st, err);
          if (err.code === ErrorCode.DeviceException) {
            // The device is there and said no: retrying will not change its mind.
            answered = true;
            errors.push(err);
            break;
          }
          if (attempt === profile.timing.retries) errors.push(err);
          else
            this.#log.debug(
              { device: cfg.id, code: err.code, attempt: attempt + 1 },
              `Read of ${cfg.id} ${read.table} ${read.address}+${read.quantity} failed (attempt ${attempt + 1}/${profile.timing.retries + 1}): ${err.message}`,
            );
        }
      }
      if (!words) continue;
      answered = true;
      const mono = this.#deps.clock.monotonicMs();
      for (const reg of read.registers) {
        const off = reg.address - read.address;
        const value = decodeValue(reg, words.slice(off, off + registerWords(reg.type)));
        if (!Number.isFinite(value)) continue;
        values.push({ name: reg.name, value, unit: reg.unit });
        if (reg.channel) readings.push({ device: cfg.id, channel: reg.channel, value, mono });
      }
    }
    st.status.polls++;
    if (readings.length > 0) this.#deps.sink.readings(readings);
    // A poll cut short by stop() says nothing about the device.
    if (this.#running) this.#settle(st, answered, errors);
    return { device: cfg.id, ok: errors.length === 0, values, errors };
  }

  #count(st: DeviceState, err: HearthError): void {
    st.status.lastError = err.message;
    if (err.code === ErrorCode.Timeout) st.status.timeouts++;
    else if (err.code === ErrorCode.DeviceException) st.status.exceptions++;
    else if (isBadFrame(err)) st.status.badFrames++;
  }

  /** Availability: online at the first answer, offline after `offlineAfter` polls with no answer at all. */
  #settle(st: DeviceState, answered: boolean, errors: HearthError[]): void {
    const s = st.status;
    const id = st.cfg.id;
    if (answered) {
      s.consecutiveFailures = 0;
      if (s.availability !== "online") {
        s.availability = "online";
        this.#log.info({ device: id }, `Modbus device ${id} is online`);
        this.#deps.sink.availability(id, "online", "answered a poll");
      }
      for (const e of errors)
        this.#log.warn({ device: id, code: e.code, err: e }, `Modbus device ${id}: ${e.message}`);
      return;
    }
    s.failedPolls++;
    s.consecutiveFailures++;
    const reason = errors[0]?.message ?? "no answer";
    const limit = this.#deps.offlineAfter ?? 3;
    if (s.availability !== "offline")
      this.#log.warn(
        { device: id, code: errors[0]?.code, failures: s.consecutiveFailures },
        `Poll of Modbus device ${id} failed (${s.consecutiveFailures}/${limit}): ${reason}`,
      );
    if (s.consecutiveFailures >= limit && s.availability !== "offline") {
      s.availability = "offline";
      this.#deps.sink.availability(
        id,
        "offline",
        `${s.consecutiveFailures} consecutive polls failed; last: ${reason}`,
      );
    }
  }
}
