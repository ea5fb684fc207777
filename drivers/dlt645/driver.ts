import type { Clock } from "../../src/core/clock.js";
import { ErrorCode, errorMessage, HearthError, isHearthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { silentLogger } from "../../src/core/log.js";
import type { ReadingSink } from "../../src/core/readings.js";
import type { SerialSettings } from "../../src/profiles/common.js";
import type { Dlt645Identifier, Dlt645Profile } from "../../src/profiles/dlt645.js";
import type { DeviceProfile } from "../../src/profiles/schema.js";
import type { SerialLine } from "../serial/line.js";
import type { SerialLinePool } from "../serial/pool.js";
import {
  bytesToDi,
  Control,
  ControlBit,
  decodeFrame,
  decodeValue,
  frameLength,
  parseReadReply,
  readDataRequest,
} from "./codec.js";
import {
  type MeterDeviceStatus,
  MeterPoller,
  type MeterValue,
  type PollOutcome,
  type PollResult,
  whenOpen,
} from "./poller.js";

/** One DL/T 645 meter of a home's config. */
export interface Dlt645DeviceConfig {
  id: string;
  /** Profile id (a file in device-profiles/) or the profile itself. */
  profile: string | Dlt645Profile;
  /** Serial path shared with the other meters of the RS-485 line. */
  port: string;
  /** 12 digits as printed on the meter; AA bytes are wildcards (only with one meter on the line). */
  address: string;
  /** Override the profile's serial settings (one line has one setting for every meter on it). */
  baud?: number;
  parity?: SerialSettings["parity"];
}

export interface Dlt645DriverDeps {
  sink: ReadingSink;
  clock: Clock;
  /** The process's serial lines, shared with the Modbus and CJ/T 188 drivers. */
  lines: SerialLinePool;
  log?: Logger;
  /** Resolves profile ids; not needed when every device carries its profile. */
  profiles?: ReadonlyMap<string, DeviceProfile>;
  /** Consecutive failed polls before a meter is reported offline. Default 3. */
  offlineAfter?: number;
}

export type { MeterDeviceStatus as Dlt645DeviceStatus, MeterValue, PollResult };

const P = "DL/T 645";

/**
 * Polls DL/T 645-2007 meters through the shared `SerialLine` of their port: one "read data" per profile
 * identifier, decoded with the standard's format and the profile's scale, handed to the sink as
 * semantic readings. A meter that is silent or talks garbage costs its own timeouts only.
 */
export class Dlt645Driver {
  readonly #devices: readonly Dlt645DeviceConfig[];
  readonly #deps: Dlt645DriverDeps;
  readonly #log: Logger;
  readonly #poller: MeterPoller;
  /** Lines acquired at start, keyed by device id, released at stop. */
  readonly #lines = new Map<string, SerialLine>();

  constructor(devices: readonly Dlt645DeviceConfig[], deps: Dlt645DriverDeps) {
    this.#devices = devices;
    this.#deps = deps;
    this.#log = (deps.log ?? silentLogger()).child({ module: "dlt645" });
    this.#poller = new MeterPoller(P, {
      sink: deps.sink,
      clock: deps.clock,
      log: this.#log,
      offlineAfter: deps.offlineAfter,
    });
  }

  /** Problems that would stop the driver from starting (unknown profile, bad address, ...). */
  validate(): string[] {
    const problems: string[] = [];
    const ids = new Set<string>();
    const addresses = new Map<string, string>();
    for (const d of this.#devices) {
      if (ids.has(d.id)) problems.push(`device ${d.id}: id used twice`);
      ids.add(d.id);
      const p = this.#resolve(d);
      if (typeof p === "string") problems.push(`device ${d.id}: ${p}`);
      if (!/^(?:[0-9]{2}|AA){6}$/i.test(d.address))
        problems.push(
          `device ${d.id}: address ${JSON.stringify(d.address)} must be 12 digits as on the nameplate (whole AA bytes for wildcards)`,
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
        `DL/T 645 meters are misconfigured: ${problems.join("; ")}`,
        ErrorCode.ConfigInvalid,
        {
          problems,
        },
      );
    for (const cfg of this.#devices) {
      const profile = this.#resolve(cfg) as Dlt645Profile;
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
    for (const [id, _line] of this.#lines) {
      const cfg = this.#devices.find((d) => d.id === id);
      if (cfg) await this.#deps.lines.release(cfg.port, id);
    }
    this.#lines.clear();
  }

  status(): MeterDeviceStatus[] {
    return this.#poller.status();
  }

  /** Polls one meter now (`hearth read`, tests). The driver must be started. */
  pollNow(id: string): Promise<PollResult> {
    return this.#poller.pollNow(id);
  }

  #resolve(cfg: Dlt645DeviceConfig): Dlt645Profile | string {
    if (typeof cfg.profile !== "string") return cfg.profile;
    const p = this.#deps.profiles?.get(cfg.profile);
    if (!p) return `unknown profile ${cfg.profile}`;
    if (p.protocol !== "dlt645") return `profile ${cfg.profile} is ${p.protocol}, not dlt645`;
    return p;
  }

  async #pollOnce(cfg: Dlt645DeviceConfig, profile: Dlt645Profile, line: SerialLine): Promise<PollOutcome> {
    await whenOpen(line, this.#deps.clock, profile.timing.response_timeout_ms);
    const out: PollOutcome = { answered: false, readings: [], values: [], errors: [] };
    for (const id of profile.dlt645.identifiers) {
      if (!this.#poller.running) break;
      const r = await this.#readOne(cfg, profile, line, id);
      if (r.answered) out.answered = true;
      if (r.error) out.errors.push(r.error);
      if (r.value !== undefined) {
        out.values.push({ name: id.name, value: r.value, unit: id.unit });
        if (id.channel)
          out.readings.push({
            device: cfg.id,
            channel: id.channel,
            value: r.value,
            mono: this.#deps.clock.monotonicMs(),
          });
      }
      // A meter that said nothing at all to the first item will not answer the next ones either: do
      // not spend every identifier's timeouts on it (other meters on the line are waiting).
      if (!out.answered && r.error && !isBadFrameOrRefusal(r.error)) break;
    }
    return out;
  }

  async #readOne(
    cfg: Dlt645DeviceConfig,
    profile: Dlt645Profile,
    line: SerialLine,
    id: Dlt645Identifier,
  ): Promise<{ answered: boolean; value?: number; error?: HearthError }> {
    const request = readDataRequest(cfg.address.toUpperCase(), id.di, { preamble: profile.dlt645.preamble });
    let answered = false;
    for (let attempt = 0; attempt <= profile.timing.retries; attempt++) {
      try {
        const rx = await line.transaction(request, {
          timeoutMs: profile.timing.response_timeout_ms,
          interFrameGapMs: profile.timing.inter_frame_gap_ms,
          complete: (rx) => {
            const n = frameLength(rx);
            return n > 0 && isLateReply(rx.subarray(0, n), cfg.address, id.di) ? -n : n;
          },
        });
        const frame = decodeFrame(rx);
        if (!addressMatches(cfg.address, frame.address))
          throw new HearthError(
            `${P}: reply from address ${frame.address}, expected ${cfg.address}`,
            ErrorCode.FrameUnexpected,
            {
              device: cfg.id,
              offset: 1,
            },
          );
        // A valid frame from this meter is a sign of life, even an abnormal reply.
        answered = true;
        const reply = parseReadReply(frame);
        if (reply.kind === "error") {
          const err = new HearthError(
            `${P} meter ${cfg.id} refused ${id.name} (${id.di}): ${reply.errors.join(", ")}`,
            ErrorCode.DeviceException,
            { device: cfg.id, di: id.di, error: reply.error },
          );
          this.#poller.count(cfg.id, err);
          // The meter is there and said no: asking again will not change its mind.
          return { answered, error: err };
        }
        if (reply.di !== id.di)
          throw new HearthError(`${P}: reply for ${reply.di}, asked ${id.di}`, ErrorCode.FrameUnexpected, {
            device: cfg.id,
            offset: 10,
          });
        const value = decodeValue(reply.value, id, 14) * id.scale;
        return { answered, value };
      } catch (e) {
        const err = isHearthError(e)
          ? e
          : new HearthError(errorMessage(e), ErrorCode.Internal, { device: cfg.id }, { cause: e });
        this.#poller.count(cfg.id, err);
        if (attempt === profile.timing.retries) return { answered, error: err };
        this.#log.debug(
          { device: cfg.id, code: err.code, attempt: attempt + 1 },
          `Read of ${cfg.id} ${id.name} (${id.di}) failed (attempt ${attempt + 1}/${profile.timing.retries + 1}): ${err.message}`,
        );
      }
    }
    return { answered };
  }
}

/**
 * A whole, valid frame from a meter that cannot be the answer to this request: another meter's reply,
 * or this meter's normal reply for another identifier (a late answer to a request that timed out). The
 * transaction skips it and keeps waiting for the real answer instead of failing on it.
 */
function isLateReply(frame: Buffer, address: string, di: string): boolean {
  let f: ReturnType<typeof decodeFrame>;
  try {
    f = decodeFrame(frame);
  } catch {
    return false; // not valid: let the read report it
  }
  if ((f.control & ControlBit.FromMeter) === 0) return false;
  if (!addressMatches(address, f.address)) return true;
  const normal = f.control === Control.ReadDataReply || f.control === Control.ReadDataReplyMore;
  return normal && f.data.length >= 4 && bytesToDi(f.data) !== di;
}

function isBadFrameOrRefusal(e: HearthError): boolean {
  return e.code !== ErrorCode.Timeout && e.code !== ErrorCode.PortClosed && e.code !== ErrorCode.Canceled;
}

/** The configured address may hold AA wildcard bytes; the reply carries the meter's real address. */
function addressMatches(configured: string, replied: string): boolean {
  const want = configured.toUpperCase();
  for (let i = 0; i < 12; i += 2) {
    const pair = want.slice(i, i + 2);
    if (pair !== "AA" && pair !== replied.slice(i, i + 2)) return false;
  }
  return true;
}
