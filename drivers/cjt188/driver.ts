import { ErrorCode, HearthError } from "../../src/core/errors.js";
import type { Cjt188Profile } from "../../src/profiles/cjt188.js";
import { type MeterDeviceConfig, type MeterDriverDeps, SerialMeterDriver } from "../common/meters.js";
import type { MeterDeviceStatus, MeterValue, PollOutcome, PollResult } from "../common/poller.js";
import type { SerialLine } from "../serial/line.js";
import { decodeFrame, frameLength, parseReadReply, readDataRequest } from "./codec.js";
import { meterValues } from "./values.js";

/** One CJ/T 188 meter of a home's config; its address is 14 digits as printed on the meter. */
export type Cjt188DeviceConfig = MeterDeviceConfig<Cjt188Profile>;

export type Cjt188DriverDeps = MeterDriverDeps;

export type { MeterDeviceStatus as Cjt188DeviceStatus, MeterValue, PollResult };

const P = "CJ/T 188";
const ADDRESS_BYTES = 7;

/**
 * Polls CJ/T 188-2004 water meters ("read data 901F") through the shared `SerialLine` of their port and
 * feeds the current cumulative flow, in m³ whatever unit the meter uses, to `water_total_m3`.
 */
export class Cjt188Driver extends SerialMeterDriver<Cjt188Profile, Cjt188DeviceConfig> {
  /** SER of the next request, per device id; meters echo it, which tells a stale reply from a fresh one. */
  readonly #ser = new Map<string, number>();
  /** Devices already warned about for sending no usable total. */
  readonly #noTotal = new Set<string>();

  constructor(devices: readonly Cjt188DeviceConfig[], deps: Cjt188DriverDeps) {
    super(devices, deps, { label: P, protocol: "cjt188", addressBytes: ADDRESS_BYTES });
  }

  protected async pollOnce(
    cfg: Cjt188DeviceConfig,
    profile: Cjt188Profile,
    line: SerialLine,
  ): Promise<PollOutcome> {
    const out: PollOutcome = { answered: false, readings: [], values: [], errors: [] };
    const p = profile.cjt188;
    const r = await this.poller.read(cfg.id, "", profile.timing.retries, async () => {
      const ser = this.#ser.get(cfg.id) ?? 0;
      this.#ser.set(cfg.id, (ser + 1) & 0xff);
      const request = readDataRequest(p.meter_type, cfg.address.toUpperCase(), ser, {
        preamble: p.preamble,
        diOrder: p.di_order,
      });
      const rx = await this.ask(line, profile, request, frameLength);
      const frame = decodeFrame(rx);
      this.checkReplyAddress(cfg, frame.address, 2);
      out.answered = true;
      const reply = parseReadReply(frame);
      if (reply.kind === "error")
        throw new HearthError(
          `${P} meter ${cfg.id} answered read data with an error (status ${reply.status.raw.toString(16).padStart(4, "0")})`,
          ErrorCode.DeviceException,
          { device: cfg.id, status: reply.status.raw },
        );
      const d = reply.data;
      if (d.ser !== ser)
        this.log.debug(
          { device: cfg.id, sent: ser, got: d.ser },
          `${P} meter ${cfg.id} echoed SER ${d.ser}, sent ${ser}`,
        );
      return d;
    });
    if (!r.ok) {
      if (r.error) out.errors.push(r.error);
      return out;
    }
    const d = r.value;
    const mono = this.deps.clock.monotonicMs();
    out.values.push(...meterValues(d));
    // A flow the meter sent as FF… is not known: no reading, never 0 (which would look like a reset).
    const total = out.values.find((v) => v.name === "current_flow" && v.unit === "m3")?.value;
    if (total !== undefined)
      out.readings.push({ device: cfg.id, channel: "water_total_m3", value: total, mono });
    else {
      // Once at warn (a meter that never sends its total, or a heat meter under a water profile), then debug.
      const first = !this.#noTotal.has(cfg.id);
      this.#noTotal.add(cfg.id);
      this.log[first ? "warn" : "debug"](
        { device: cfg.id, unsupported: d.unsupported, missing: d.missing, unit: d.currentUnit },
        `${P} meter ${cfg.id} sent no current flow in m3 or L: no water_total_m3 reading`,
      );
    }
    if (d.status?.batteryLow) this.log.warn({ device: cfg.id }, `${P} meter ${cfg.id} reports a low battery`);
    this.log.trace(
      { device: cfg.id, unit: d.currentUnit, time: d.time },
      `${P} meter ${cfg.id}: ${total ?? "no"} m3`,
    );
    return out;
  }
}
