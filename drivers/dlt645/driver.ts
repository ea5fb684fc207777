import { ErrorCode, HearthError } from "../../src/core/errors.js";
import type { Dlt645Identifier, Dlt645Profile } from "../../src/profiles/dlt645.js";
import {
  addressMatches,
  type MeterDeviceConfig,
  type MeterDriverDeps,
  SerialMeterDriver,
} from "../common/meters.js";
import type { MeterDeviceStatus, MeterValue, PollOutcome, PollResult } from "../common/poller.js";
import { scaled } from "../common/precision.js";
import type { SerialLine } from "../serial/line.js";
import {
  bytesToDi,
  Control,
  ControlBit,
  decodeFrame,
  decodeValue,
  type EncodeOptions,
  frameLength,
  parseReadReply,
  type ReadReply,
  readDataRequest,
  readFollowUpRequest,
} from "./codec.js";
import {
  bytesToDi1997,
  Control1997,
  parseReadReply1997,
  readDataRequest1997,
  readFollowUpRequest1997,
} from "./codec1997.js";

/** One DL/T 645 meter of a home's config; its address is 12 digits as printed on the meter. */
export type Dlt645DeviceConfig = MeterDeviceConfig<Dlt645Profile>;

export type Dlt645DriverDeps = MeterDriverDeps;

export type { MeterDeviceStatus as Dlt645DeviceStatus, MeterValue, PollResult };

const P = "DL/T 645";
const ADDRESS_BYTES = 6;

/**
 * Polls DL/T 645 meters (2007 or 1997, as the profile's `dlt645.edition` says; both editions can share
 * a line, each meter read by its own address) through the shared `SerialLine` of their port: one
 * "read data" per profile identifier, its follow-up frames read when the meter says there are some, decoded with the standard's format and the profile's scale, handed to the sink as
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
    const edition = profile.dlt645.edition;
    const address = cfg.address.toUpperCase();
    const enc: EncodeOptions = { preamble: profile.dlt645.preamble };
    let answered = false;
    const r = await this.poller.read(cfg.id, `${id.name} (${id.di})`, profile.timing.retries, async () => {
      const ask = async (request: Buffer): Promise<Extract<ReadReply, { kind: "data" }>> => {
        const rx = await this.ask(line, profile, request, (rx) => {
          const n = frameLength(rx);
          return n > 0 && isLateReply(rx.subarray(0, n), cfg.address, id.di, edition) ? -n : n;
        });
        const frame = decodeFrame(rx);
        this.checkReplyAddress(cfg, frame.address, 1);
        // A valid frame from this meter is a sign of life, even an abnormal reply.
        answered = true;
        const reply = edition === 2007 ? parseReadReply(frame) : parseReadReply1997(frame);
        if (reply.kind === "error")
          throw new HearthError(
            `${P}-${edition} meter ${cfg.id} refused ${id.name} (${id.di}): ${reply.errors.join(", ")}${reply.error === 0x01 ? OTHER_EDITION_HINT : ""}`,
            ErrorCode.DeviceException,
            { device: cfg.id, di: id.di, error: reply.error },
          );
        if (reply.di !== id.di)
          throw new HearthError(`${P}: reply for ${reply.di}, asked ${id.di}`, ErrorCode.FrameUnexpected, {
            device: cfg.id,
            offset: 10,
          });
        return reply;
      };
      const first =
        edition === 2007
          ? await ask(readDataRequest(address, id.di, enc))
          : await ask(readDataRequest1997(address, id.di, enc));
      const parts = [first.value];
      let more = first.more;
      // The "read follow-up" sequence (2007: 12H with a frame number from 1; 1997: 02H): a value longer
      // than one frame comes in pieces, each reply saying whether another follows.
      for (let seq = 1; more; seq++) {
        if (seq > MAX_FOLLOW_UPS)
          throw new HearthError(
            `${P}: ${id.di} still had follow-up frames after ${MAX_FOLLOW_UPS}`,
            ErrorCode.FrameMalformed,
            { device: cfg.id },
          );
        const next =
          edition === 2007
            ? await ask(readFollowUpRequest(address, id.di, seq, enc))
            : await ask(readFollowUpRequest1997(address, id.di, enc));
        parts.push(next.value);
        more = next.more;
      }
      return scaled(decodeValue(Buffer.concat(parts), id, edition === 2007 ? 14 : 12), id.scale);
    });
    if (r.ok) return { answered, value: r.value };
    return r.error ? { answered, error: r.error } : { answered };
  }
}

/** A value longer than this many follow-up frames is a meter stuck in a loop, not data. */
const MAX_FOLLOW_UPS = 16;

/**
 * A meter of the other edition refuses a request by the error byte 01 (a 1997 meter answers 11H with
 * D1H "illegal data": github.com/hoanghon00/meter-dlt645-1997 Data_Trans.c, Rcv_DLT645_Data_Proc; a 2007
 * meter answers 01H with C1H "other error": github.com/600888/dlt645 go/dlt645/service/serversvc/
 * handle_request.go, the default branch), so that refusal gets a hint.
 */
const OTHER_EDITION_HINT =
  " (a meter of the other DL/T 645 edition refuses this way: check the profile's dlt645.edition)";

/**
 * A whole, valid frame from a meter that cannot be the answer to this request: another meter's reply,
 * or this meter's normal reply for another identifier (a late answer to a request that timed out). The
 * transaction skips it and keeps waiting for the real answer instead of failing on it.
 */
function isLateReply(frame: Buffer, address: string, di: string, edition: 1997 | 2007): boolean {
  let f: ReturnType<typeof decodeFrame>;
  try {
    f = decodeFrame(frame);
  } catch {
    return false; // not valid: let the read report it
  }
  if ((f.control & ControlBit.FromMeter) === 0) return false;
  if (!addressMatches(address, f.address, ADDRESS_BYTES)) return true;
  if (edition === 1997) {
    const normal = f.control === Control1997.ReadDataReply || f.control === Control1997.ReadDataReplyMore;
    return normal && f.data.length >= 2 && bytesToDi1997(f.data) !== di;
  }
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
