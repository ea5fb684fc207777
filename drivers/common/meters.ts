import type { Clock } from "../../src/core/clock.js";
import { ErrorCode, HearthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { silentLogger } from "../../src/core/log.js";
import type { ReadingSink } from "../../src/core/readings.js";
import { SECOND_MS } from "../../src/core/time.js";
import type { Cjt188Profile } from "../../src/profiles/cjt188.js";
import type { SerialSettings } from "../../src/profiles/common.js";
import type { Dlt645Profile } from "../../src/profiles/dlt645.js";
import type { DeviceProfile } from "../../src/profiles/schema.js";
import type { SerialLine } from "../serial/line.js";
import type { SerialLinePool } from "../serial/pool.js";
import type { FrameComplete } from "../serial/reply.js";
import {
  type MeterDeviceStatus,
  MeterPoller,
  type PollOutcome,
  type PollResult,
  whenOpen,
} from "./poller.js";

/** The profiles of the meters polled by address on a serial line. */
export type SerialMeterProfile = Dlt645Profile | Cjt188Profile;

/** One meter of a home's config, as the address-polled serial meter drivers take it. */
export interface MeterDeviceConfig<P> {
  id: string;
  /** Profile id (a file in device-profiles/) or the profile itself. */
  profile: string | P;
  /** Serial path shared with the other meters of the RS-485 line. */
  port: string;
  /** Digits as printed on the meter; AA bytes are wildcards (only with one meter on the line). */
  address: string;
  /** Override the profile's serial settings (one line has one setting for every meter on it). */
  baud?: number;
  parity?: SerialSettings["parity"];
}

export interface MeterDriverDeps {
  sink: ReadingSink;
  clock: Clock;
  /** The process's serial lines, shared with the other meter drivers. */
  lines: SerialLinePool;
  log?: Logger;
  /** Resolves profile ids; not needed when every device carries its profile. */
  profiles?: ReadonlyMap<string, DeviceProfile>;
  /** Consecutive failed polls before a meter is reported offline. Default 3. */
  offlineAfter?: number;
}

export interface SerialMeterOptions<P extends SerialMeterProfile> {
  /** As in messages: "DL/T 645". */
  label: string;
  /** Profile protocol, also the logger's module name. */
  protocol: P["protocol"];
  /** Bytes of a meter address (twice as many digits on the nameplate). */
  addressBytes: number;
}

/** A profile given by id or inline → the profile, or why it cannot be used. */
export function resolveProfile<P extends DeviceProfile>(
  profile: string | P,
  profiles: ReadonlyMap<string, DeviceProfile> | undefined,
  protocol: P["protocol"],
): P | string {
  if (typeof profile !== "string") return profile;
  const p = profiles?.get(profile);
  if (!p) return `unknown profile ${profile}`;
  if (!isProtocol(p, protocol)) return `profile ${profile} is ${p.protocol}, not ${protocol}`;
  return p;
}

/** Profiles are told apart by `protocol`: one that names P's protocol is a P. */
function isProtocol<P extends DeviceProfile>(p: DeviceProfile, protocol: P["protocol"]): p is P {
  return p.protocol === protocol;
}

/** The configured address may hold AA wildcard bytes; the reply carries the meter's real address. */
export function addressMatches(configured: string, replied: string, bytes: number): boolean {
  const want = configured.toUpperCase();
  for (let i = 0; i < bytes * 2; i += 2) {
    const pair = want.slice(i, i + 2);
    if (pair !== "AA" && pair !== replied.slice(i, i + 2)) return false;
  }
  return true;
}

/**
 * Base of the drivers of meters polled by address on a serial line: config checks, profile resolution,
 * each meter's line acquired at start and released at stop, the schedule. A driver says how to poll
 * one meter.
 */
export abstract class SerialMeterDriver<P extends SerialMeterProfile, C extends MeterDeviceConfig<P>> {
  protected readonly deps: MeterDriverDeps;
  protected readonly log: Logger;
  protected readonly poller: MeterPoller;
  readonly #devices: readonly C[];
  readonly #options: SerialMeterOptions<P>;
  /** Lines acquired at start, keyed by device id, released at stop. */
  readonly #lines = new Map<string, SerialLine>();

  constructor(devices: readonly C[], deps: MeterDriverDeps, options: SerialMeterOptions<P>) {
    this.#devices = devices;
    this.deps = deps;
    this.#options = options;
    this.log = (deps.log ?? silentLogger()).child({ module: options.protocol });
    this.poller = new MeterPoller(options.label, {
      sink: deps.sink,
      clock: deps.clock,
      log: this.log,
      offlineAfter: deps.offlineAfter,
    });
  }

  /** Problems that would stop the driver from starting (unknown profile, bad address, ...). */
  validate(): string[] {
    const problems: string[] = [];
    const ids = new Set<string>();
    const addresses = new Map<string, string>();
    const n = this.#options.addressBytes;
    const pattern = new RegExp(`^(?:[0-9]{2}|AA){${n}}$`, "i");
    for (const d of this.#devices) {
      if (ids.has(d.id)) problems.push(`device ${d.id}: id used twice`);
      ids.add(d.id);
      const p = this.#resolve(d);
      if (typeof p === "string") problems.push(`device ${d.id}: ${p}`);
      if (!pattern.test(d.address))
        problems.push(
          `device ${d.id}: address ${JSON.stringify(d.address)} must be ${n * 2} digits as on the nameplate (whole AA bytes for wildcards)`,
        );
      const key = `${d.port} ${d.address.toUpperCase()}`;
      const other = addresses.get(key);
      if (other) problems.push(`device ${d.id}: address ${d.address} on ${d.port} is also ${other}'s`);
      addresses.set(key, d.id);
    }
    return problems;
  }

  start(): void {
    if (this.poller.running) return;
    const problems = this.validate();
    if (problems.length > 0)
      throw new HearthError(
        `${this.#options.label} meters are misconfigured: ${problems.join("; ")}`,
        ErrorCode.ConfigInvalid,
        {
          problems,
        },
      );
    for (const cfg of this.#devices) {
      const profile = this.#resolve(cfg) as P;
      const settings: SerialSettings = {
        ...profile.serial,
        ...(cfg.baud !== undefined ? { baud: cfg.baud } : {}),
        ...(cfg.parity !== undefined ? { parity: cfg.parity } : {}),
      };
      const line = this.deps.lines.acquire(cfg.port, settings, cfg.id);
      this.#lines.set(cfg.id, line);
      this.poller.add(cfg.id, profile.timing.poll_interval_s * SECOND_MS, async () => {
        // A line still opening (at start, after a reopen) is not the meter's failure.
        await whenOpen(line, this.deps.clock, profile.timing.response_timeout_ms);
        return this.pollOnce(cfg, profile, line);
      });
    }
    this.poller.start();
  }

  async stop(): Promise<void> {
    await this.poller.stop();
    this.poller.clear();
    for (const id of this.#lines.keys()) {
      const cfg = this.#devices.find((d) => d.id === id);
      if (cfg) await this.deps.lines.release(cfg.port, id);
    }
    this.#lines.clear();
  }

  status(): MeterDeviceStatus[] {
    return this.poller.status();
  }

  /** Polls one meter now, outside its schedule (tests, benches). The driver must be started. */
  pollNow(id: string): Promise<PollResult> {
    return this.poller.pollNow(id);
  }

  /** Throws FrameUnexpected for a reply from another address than the meter's (AA bytes match any). */
  protected checkReplyAddress(cfg: C, replied: string, offset: number): void {
    if (!addressMatches(cfg.address, replied, this.#options.addressBytes))
      throw new HearthError(
        `${this.#options.label}: reply from address ${replied}, expected ${cfg.address}`,
        ErrorCode.FrameUnexpected,
        {
          device: cfg.id,
          offset,
        },
      );
  }

  /** One request to a meter on `line`, with the profile's reply timeout and turnaround gap. */
  protected ask(line: SerialLine, profile: P, request: Buffer, complete: FrameComplete): Promise<Buffer> {
    return line.transaction(request, {
      timeoutMs: profile.timing.response_timeout_ms,
      interFrameGapMs: profile.timing.inter_frame_gap_ms,
      complete,
    });
  }

  /**
   * One poll of one meter, once its line is open: every item it is read for, each through
   * `this.poller.read` (retries, counting). Errors are returned, not thrown.
   */
  protected abstract pollOnce(cfg: C, profile: P, line: SerialLine): Promise<PollOutcome>;

  #resolve(cfg: C): P | string {
    return resolveProfile<P>(cfg.profile, this.deps.profiles, this.#options.protocol);
  }
}
