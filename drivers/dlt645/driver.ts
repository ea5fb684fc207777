import { ErrorCode, HearthError } from "../../src/core/errors.js";
import type { Dlt645Identifier, Dlt645Profile } from "../../src/profiles/dlt645.js";
import {
  addressMatches,
  type MeterDeviceConfig,
  type MeterDriverDeps,
  SerialMeterDriver,
} from "../common/meters.js";
import type { MeterDeviceStatus, MeterValue, PollOutcome, PollResult } from "../common/poller.js";
import type { SerialLine } from "../serial/line.js";
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

/** One DL/T 645 meter of a home's config; its address is 12 digits as printed on the meter. */
export type Dlt645DeviceConfig = MeterDeviceConfig<Dlt645Profile>;

export type Dlt645DriverDeps = MeterDriverDeps;

export type { MeterDeviceStatus as Dlt645DeviceStatus, MeterValue, PollResult };

const P = "DL/T 645";
const ADDRESS_BYTES = 6;

/**
 * Polls DL/T 645-2007 meters through the shared `SerialLine` of their port: one "read data" per profile
 * identifier, decoded with the standard's format and the profile's scale, handed to the sink as
 * semantic readings. A meter that is silent or talks garbage costs its own timeouts only.
 */
export class Dlt645Driver extends SerialMeterDriver<Dlt645Profile, Dlt645DeviceConfig> {
  constructor(devices: readonly Dlt645DeviceConfig[], deps: Dlt645DriverDeps) {
    super(devices, deps, { label: P, protocol: "dlt645", addressBytes: ADDRESS_BYTES });
  }

  protected async pollOnce(
    cfg: Dlt645DeviceConfig,
    profile: Dlt645Profile,
    line: SerialLine,
  ): Promise<PollOutcome> {
    const out: PollOutcome = { answered: false, readings: [], values: [], errors: [] };
    for (const id of profile.dlt645.identifiers) {
      if (!this.poller.running) break;
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
            mono: this.deps.clock.monotonicMs(),
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
    const r = await this.poller.read(cfg.id, `${id.name} (${id.di})`, profile.timing.retries, async () => {
      const rx = await this.ask(line, profile, request, (rx) => {
        const n = frameLength(rx);
        return n > 0 && isLateReply(rx.subarray(0, n), cfg.address, id.di) ? -n : n;
      });
      const frame = decodeFrame(rx);
      this.checkReplyAddress(cfg, frame.address, 1);
      // A valid frame from this meter is a sign of life, even an abnormal reply.
      answered = true;
      const reply = parseReadReply(frame);
      if (reply.kind === "error")
        throw new HearthError(
          `${P} meter ${cfg.id} refused ${id.name} (${id.di}): ${reply.errors.join(", ")}`,
          ErrorCode.DeviceException,
          { device: cfg.id, di: id.di, error: reply.error },
        );
      if (reply.di !== id.di)
        throw new HearthError(`${P}: reply for ${reply.di}, asked ${id.di}`, ErrorCode.FrameUnexpected, {
          device: cfg.id,
          offset: 10,
        });
      return decodeValue(reply.value, id, 14) * id.scale;
    });
    if (r.ok) return { answered, value: r.value };
    return r.error ? { answered, error: r.error } : { answered };
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
  if (!addressMatches(address, f.address, ADDRESS_BYTES)) return true;
  const normal = f.control === Control.ReadDataReply || f.control === Control.ReadDataReplyMore;
  return normal && f.data.length >= 4 && bytesToDi(f.data) !== di;
}

/** Codes that say nothing came back from the meter (silence, no port, the request never sent). */
const NO_ANSWER = new Set<number>([
  ErrorCode.Timeout,
  ErrorCode.PortClosed,
  ErrorCode.Canceled,
  ErrorCode.QueueFull,
]);

function isBadFrameOrRefusal(e: HearthError): boolean {
  return !NO_ANSWER.has(e.code);
}
