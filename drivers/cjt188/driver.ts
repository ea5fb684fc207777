import type { Clock } from "../../src/core/clock.js";
import { ErrorCode, errorMessage, HearthError, isHearthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { silentLogger } from "../../src/core/log.js";
import type { ReadingSink } from "../../src/core/readings.js";
import type { Cjt188Profile } from "../../src/profiles/cjt188.js";
import type { SerialSettings } from "../../src/profiles/common.js";
import type { DeviceProfile } from "../../src/profiles/schema.js";
import {
  type MeterDeviceStatus,
  MeterPoller,
  type MeterValue,
  type PollOutcome,
  type PollResult,
  whenOpen,
} from "../dlt645/poller.js";
import type { SerialLine } from "../serial/line.js";
import type { SerialLinePool } from "../serial/pool.js";
import { decodeFrame, frameLength, parseReadReply, readDataRequest, toCubicMetres, UNITS } from "./codec.js";

/** One CJ/T 188 meter of a home's config. */
export interface Cjt188DeviceConfig {
  id: string;
  profile: string | Cjt188Profile;
  port: string;
  /** 14 digits as printed on the meter; AA bytes are wildcards (only with one meter on the line). */
  address: string;
  baud?: number;
  parity?: SerialSettings["parity"];
}

export interface Cjt188DriverDeps {
  sink: ReadingSink;
  clock: Clock;
  lines: SerialLinePool;
  log?: Logger;
  profiles?: ReadonlyMap<string, DeviceProfile>;
  /** Consecutive failed polls before a meter is reported offline. Default 3. */
  offlineAfter?: number;
}

export type { MeterDeviceStatus as Cjt188DeviceStatus, MeterValue, PollResult };

const P = "CJ/T 188";

/**
 * Polls CJ/T 188-2004 water meters ("read data 901F") through the shared `SerialLine` of their port and
 * feeds the current cumulative flow, in m³ whatever unit the meter uses, to `water_total_m3`.
 */
export class Cjt188Driver {
  readonly #devices: readonly Cjt188DeviceConfig[];
  readonly #deps: Cjt188DriverDeps;
  readonly #log: Logger;
  readonly #poller: MeterPoller;
  readonly #lines = new Map<string, SerialLine>();
  /** SER of the next request, per device id; meters echo it, which tells a stale reply from a fresh one. */
  readonly #ser = new Map<string, number>();

  constructor(devices: readonly Cjt188DeviceConfig[], deps: Cjt188DriverDeps) {
    this.#devices = devices;
    this.#deps = deps;
    this.#log = (deps.log ?? silentLogger()).child({ module: "cjt188" });
    this.#poller = new MeterPoller(P, {
      sink: deps.sink,
      clock: deps.clock,
      log: this.#log,
      offlineAfter: deps.offlineAfter,
    });
  }

  validate(): string[] {
    const problems: string[] = [];
    const ids = new Set<string>();
    const addresses = new Map<string, string>();
    for (const d of this.#devices) {
      if (ids.has(d.id)) problems.push(`device ${d.id}: id used twice`);
      ids.add(d.id);
      const p = this.#resolve(d);
      if (typeof p === "string") problems.push(`device ${d.id}: ${p}`);
      if (!/^(?:[0-9]{2}|AA){7}$/i.test(d.address))
        problems.push(
          `device ${d.id}: address ${JSON.stringify(d.address)} must be 14 digits as on the nameplate (whole AA bytes for wildcards)`,
        );
      const key = `${d.port} ${d.address.toUpperCase()}`;
      const other = addresses.get(key);
      if (other) problems.push(`device ${d.id}: address ${d.address} on ${d.port} is also ${other}'s`);
      addresses.set(key, d.id);
    }
    return problems;
  }

  start(): void {
    if (this.#poller.running) return;
    const problems = this.validate();
    if (problems.length > 0)
      throw new HearthError(
        `CJ/T 188 meters are misconfigured: ${problems.join("; ")}`,
        ErrorCode.ConfigInvalid,
        {
          problems,
        },
      );
    for (const cfg of this.#devices) {
      const profile = this.#resolve(cfg) as Cjt188Profile;
      const settings: SerialSettings = {
        ...profile.serial,
        ...(cfg.baud !== undefined ? { baud: cfg.baud } : {}),
        ...(cfg.parity !== undefined ? { parity: cfg.parity } : {}),
      };
      const line = this.#deps.lines.acquire(cfg.port, settings, cfg.id);
      this.#lines.set(cfg.id, line);
      this.#poller.add(cfg.id, profile.timing.poll_interval_s * 1000, () =>
        this.#pollOnce(cfg, profile, line),
      );
    }
    this.#poller.start();
  }

  async stop(): Promise<void> {
    await this.#poller.stop();
    this.#poller.clear();
    for (const id of this.#lines.keys()) {
      const cfg = this.#devices.find((d) => d.id === id);
      if (cfg) await this.#deps.lines.release(cfg.port, id);
    }
    this.#lines.clear();
  }

  status(): MeterDeviceStatus[] {
    return this.#poller.status();
  }

  pollNow(id: string): Promise<PollResult> {
    return this.#poller.pollNow(id);
  }

  #resolve(cfg: Cjt188DeviceConfig): Cjt188Profile | string {
    if (typeof cfg.profile !== "string") return cfg.profile;
    const p = this.#deps.profiles?.get(cfg.profile);
    if (!p) return `unknown profile ${cfg.profile}`;
    if (p.protocol !== "cjt188") return `profile ${cfg.profile} is ${p.protocol}, not cjt188`;
    return p;
  }

  async #pollOnce(cfg: Cjt188DeviceConfig, profile: Cjt188Profile, line: SerialLine): Promise<PollOutcome> {
    await whenOpen(line, this.#deps.clock, profile.timing.response_timeout_ms);
    const out: PollOutcome = { answered: false, readings: [], values: [], errors: [] };
    const p = profile.cjt188;
    for (let attempt = 0; attempt <= profile.timing.retries && this.#poller.running; attempt++) {
      const ser = this.#ser.get(cfg.id) ?? 0;
      this.#ser.set(cfg.id, (ser + 1) & 0xff);
      const request = readDataRequest(p.meter_type, cfg.address.toUpperCase(), ser, {
        preamble: p.preamble,
        diOrder: p.di_order,
      });
      try {
        const rx = await line.transaction(request, {
          timeoutMs: profile.timing.response_timeout_ms,
          interFrameGapMs: profile.timing.inter_frame_gap_ms,
          complete: frameLength,
        });
        const frame = decodeFrame(rx);
        if (!addressMatches(cfg.address, frame.address))
          throw new HearthError(
            `${P}: reply from address ${frame.address}, expected ${cfg.address}`,
            ErrorCode.FrameUnexpected,
            {
              device: cfg.id,
              offset: 2,
            },
          );
        out.answered = true;
        const reply = parseReadReply(frame);
        if (reply.kind === "error") {
          const err = new HearthError(
            `${P} meter ${cfg.id} answered read data with an error (status ${reply.status.raw.toString(16).padStart(4, "0")})`,
            ErrorCode.DeviceException,
            { device: cfg.id, status: reply.status.raw },
          );
          this.#poller.count(cfg.id, err);
          out.errors.push(err);
          return out;
        }
        const d = reply.data;
        if (d.ser !== ser)
          this.#log.debug(
            { device: cfg.id, sent: ser, got: d.ser },
            `${P} meter ${cfg.id} echoed SER ${d.ser}, sent ${ser}`,
          );
        const total = toCubicMetres(d.current, d.currentUnit);
        const settlement = toCubicMetres(d.settlement, d.settlementUnit);
        const mono = this.#deps.clock.monotonicMs();
        out.values.push(
          { name: "current_flow", value: total, unit: "m3" },
          { name: "settlement_flow", value: settlement, unit: "m3" },
          { name: "valve_closed", value: d.status.valve === "closed" ? 1 : 0, unit: "" },
          { name: "battery_low", value: d.status.batteryLow ? 1 : 0, unit: "" },
        );
        out.readings.push({ device: cfg.id, channel: "water_total_m3", value: total, mono });
        if (d.status.batteryLow)
          this.#log.warn({ device: cfg.id }, `${P} meter ${cfg.id} reports a low battery`);
        this.#log.trace(
          { device: cfg.id, unit: UNITS[d.currentUnit], time: d.time },
          `${P} meter ${cfg.id}: ${total} m3`,
        );
        return out;
      } catch (e) {
        const err = isHearthError(e)
          ? e
          : new HearthError(errorMessage(e), ErrorCode.Internal, { device: cfg.id }, { cause: e });
        this.#poller.count(cfg.id, err);
        if (attempt === profile.timing.retries) out.errors.push(err);
        else
          this.#log.debug(
            { device: cfg.id, code: err.code, attempt: attempt + 1 },
            `Read of ${cfg.id} failed (attempt ${attempt + 1}/${profile.timing.retries + 1}): ${err.message}`,
          );
      }
    }
    return out;
  }
}

function addressMatches(configured: string, replied: string): boolean {
  const want = configured.toUpperCase();
  for (let i = 0; i < 14; i += 2) {
    const pair = want.slice(i, i + 2);
    if (pair !== "AA" && pair !== replied.slice(i, i + 2)) return false;
  }
  return true;
}
