import type { Clock } from "../../src/core/clock.js";
import { ErrorCode, HearthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { silentLogger } from "../../src/core/log.js";
import type { ReadingSink } from "../../src/core/readings.js";
import { SECOND_MS } from "../../src/core/time.js";
import type { ModbusProfile } from "../../src/profiles/modbus.js";
import type { DeviceProfile } from "../../src/profiles/schema.js";
import { resolveProfile } from "../common/meters.js";
import {
  type MeterDeviceStatus,
  MeterPoller,
  type MeterValue,
  type PollOutcome,
  type PollResult,
  whenOpen,
} from "../common/poller.js";
import type { SerialLine } from "../serial/line.js";
import type { SerialLinePool } from "../serial/pool.js";
import { type ModbusClient, parseTcpPort, RtuClient } from "./client.js";
import { type PlannedRead, planReads } from "./plan.js";
import { TcpClient } from "./tcp-client.js";
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
  /** Builds the TCP client for host:port; default our TcpClient on the driver's clock. Injected by tests. */
  tcpClient?: (host: string, port: number) => ModbusClient;
  /** Consecutive failed polls before a device is reported offline. Default 3. */
  offlineAfter?: number;
}

export type { MeterDeviceStatus as ModbusDeviceStatus, MeterValue as ModbusValue, PollResult };

interface Device {
  cfg: ModbusDeviceConfig;
  profile: ModbusProfile;
  plan: PlannedRead[];
  client: ModbusClient;
  /** The serial line of an RTU device. */
  line?: SerialLine;
}

/**
 * Polls Modbus RTU and TCP devices as their profiles say, and hands semantic readings to the sink.
 * RTU devices go through the shared `SerialLine` of their port; a device that is silent or answers
 * garbage costs only its own timeouts, never another device's readings. The schedule, retries,
 * counters and availability are the shared meter-poll engine's (drivers/common/poller.ts).
 */
export class ModbusDriver {
  readonly #devices: readonly ModbusDeviceConfig[];
  readonly #deps: ModbusDriverDeps;
  readonly #poller: MeterPoller;
  /** Started devices, keyed by id. */
  readonly #started = new Map<string, Device>();

  constructor(devices: readonly ModbusDeviceConfig[], deps: ModbusDriverDeps) {
    this.#devices = devices;
    this.#deps = deps;
    this.#poller = new MeterPoller("Modbus", {
      sink: deps.sink,
      clock: deps.clock,
      log: (deps.log ?? silentLogger()).child({ module: "modbus" }),
      offlineAfter: deps.offlineAfter,
      noun: "device",
    });
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
    if (this.#poller.running) return;
    const problems = this.validate();
    if (problems.length > 0)
      throw new HearthError(
        `Modbus devices are misconfigured: ${problems.join("; ")}`,
        ErrorCode.ConfigInvalid,
        {
          problems,
        },
      );
    const devices: Device[] = [];
    try {
      for (const cfg of this.#devices) {
        const profile = this.#resolve(cfg) as ModbusProfile;
        const plan = planReads(profile.modbus.registers, {
          maxRegisters: profile.modbus.max_registers_per_read,
          maxGap: profile.modbus.max_gap,
        });
        // Throws ConfigInvalid when the port is already held with other serial settings.
        devices.push({ cfg, profile, plan, ...this.#makeClient(cfg, profile) });
      }
    } catch (e) {
      for (const d of devices)
        if (d.client.kind === "rtu") void this.#deps.lines?.release(d.cfg.port, d.cfg.id);
      throw e;
    }
    for (const d of devices) {
      this.#started.set(d.cfg.id, d);
      // The first poll runs at once; the line's queue keeps devices on one port from colliding.
      this.#poller.add(d.cfg.id, d.profile.timing.poll_interval_s * SECOND_MS, () => this.#pollOnce(d));
    }
    this.#poller.start();
  }

  /** Stops polling, waits for polls in flight, and releases lines and sockets. */
  async stop(): Promise<void> {
    if (!this.#poller.running) return;
    await this.#poller.stop();
    const devices = [...this.#started.values()];
    for (const d of devices) {
      await d.client.close();
      if (d.client.kind === "rtu") await this.#deps.lines?.release(d.cfg.port, d.cfg.id);
    }
    this.#started.clear();
    this.#poller.clear();
  }

  status(): MeterDeviceStatus[] {
    return this.#poller.status();
  }

  /** Polls one device now, outside its schedule (tests, benches). The driver must be started. */
  pollNow(id: string): Promise<PollResult> {
    return this.#poller.pollNow(id);
  }

  #resolve(cfg: ModbusDeviceConfig): ModbusProfile | string {
    return resolveProfile<ModbusProfile>(cfg.profile, this.#deps.profiles, "modbus");
  }

  #makeClient(cfg: ModbusDeviceConfig, profile: ModbusProfile): { client: ModbusClient; line?: SerialLine } {
    const tcp = parseTcpPort(cfg.port);
    if (tcp)
      return {
        client:
          this.#deps.tcpClient?.(tcp.host, tcp.port) ??
          new TcpClient(tcp.host, tcp.port, { clock: this.#deps.clock }),
      };
    const line = (this.#deps.lines as SerialLinePool).acquire(cfg.port, profile.serial, cfg.id);
    return { client: new RtuClient(line), line };
  }

  /** One poll: every planned read, each with the profile's retries. */
  async #pollOnce(d: Device): Promise<PollOutcome> {
    const { cfg, profile } = d;
    const timing = {
      timeoutMs: profile.timing.response_timeout_ms,
      gapMs: profile.timing.inter_frame_gap_ms,
    };
    if (d.line) await whenOpen(d.line, this.#deps.clock, profile.timing.response_timeout_ms);
    const out: PollOutcome = { answered: false, readings: [], values: [], errors: [] };
    for (const read of d.plan) {
      const r = await this.#poller.read(
        cfg.id,
        `${read.table} ${read.address}+${read.quantity}`,
        profile.timing.retries,
        () => d.client.read(cfg.unit_id, read.fc, read.address, read.quantity, timing),
      );
      if (!r.ok) {
        if (!r.error) continue;
        // An exception reply: the device is there and said no.
        if (r.error.code === ErrorCode.DeviceException) out.answered = true;
        out.errors.push(r.error);
        continue;
      }
      out.answered = true;
      const mono = this.#deps.clock.monotonicMs();
      for (const reg of read.registers) {
        const off = reg.address - read.address;
        const value = decodeValue(reg, r.value.slice(off, off + registerWords(reg.type)));
        if (!Number.isFinite(value)) continue;
        out.values.push({ name: reg.name, value, unit: reg.unit });
        if (reg.channel) out.readings.push({ device: cfg.id, channel: reg.channel, value, mono });
      }
    }
    return out;
  }
}
