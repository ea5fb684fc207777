import type { Clock } from "../../src/core/clock.js";
import { ErrorCode, errorMessage, HearthError, isHearthError } from "../../src/core/errors.js";
import { SECOND_MS } from "../../src/core/time.js";
import type { SerialSettings } from "../../src/profiles/common.js";
import * as cjt from "../cjt188/codec.js";
import * as dlt from "../dlt645/codec.js";
import * as dlt97 from "../dlt645/codec1997.js";
import type { BindingInterface } from "../serial/binding-types.js";
import { describeSettings, SerialLine } from "../serial/line.js";
import { exceptionCode, readOneRegister, replyLength } from "./modbus-ping.js";

/**
 * Installer discovery: which meters answer on an RS-485 line. Modbus devices are found by asking each
 * unit id for one register (any reply, an exception too, means a device); DL/T 645 and CJ/T 188 meters
 * by the wildcard "read address" of each standard, which a meter answers with its own address.
 *
 * Wildcard discovery only works with one meter of that protocol on the line: two meters answer at once
 * and their replies collide. The probe says so (`warnings`) when it hears bytes it cannot decode.
 */

export type ProbeProtocol = "modbus" | "dlt645" | "cjt188";

export type FoundDevice =
  | {
      protocol: "modbus";
      unitId: number /** Exception code when the device refused register 0. */;
      exception?: number;
    }
  | { protocol: "dlt645"; address: string; edition: 1997 | 2007 }
  | { protocol: "cjt188"; address: string; meterType: number };

export interface ProbeProgress {
  /** 1-based step just finished. */
  step: number;
  total: number;
  protocol: ProbeProtocol;
  /** What was asked: "unit 7", "DL/T 645 read address", ... */
  label: string;
  found: number;
}

export interface ProbeOptions {
  protocol: "auto" | ProbeProtocol;
  /** Modbus unit ids to try (1..247). Default 1..247. */
  ids?: number[];
  /** Per request. Default 300 ms (a Modbus device answers in tens of ms; a DL/T 645 meter may take 500). */
  timeoutMs?: number;
  onProgress?: (p: ProbeProgress) => void;
  /** Stop early; checked between requests. */
  signal?: AbortSignal;
}

export interface ProbeResult {
  port: string;
  settings: SerialSettings;
  found: FoundDevice[];
  /** Things the installer should know: collisions, unreadable replies. */
  warnings: string[];
  /** Requests sent. */
  requests: number;
}

/** The line needs only this: a serialised transaction. */
export interface ProbeLine {
  readonly path: string;
  readonly settings: Readonly<SerialSettings>;
  transaction(
    request: Buffer,
    opts: { timeoutMs: number; complete: (rx: Buffer) => number },
  ): Promise<Buffer>;
}

const ALL_UNITS = Array.from({ length: 247 }, (_, i) => i + 1);

/** The settings each protocol usually runs at (Modbus 9600 8N1; the Chinese meter standards 2400 8E1). */
export const USUAL_SETTINGS: Readonly<Record<ProbeProtocol, SerialSettings>> = {
  modbus: { baud: 9600, data_bits: 8, parity: "none", stop_bits: 1 },
  dlt645: { baud: 2400, data_bits: 8, parity: "even", stop_bits: 1 },
  cjt188: { baud: 2400, data_bits: 8, parity: "even", stop_bits: 1 },
};

/** Probes one open line at its current settings. Never throws for what devices send; a dead port throws PortClosed. */
export async function probe(line: ProbeLine, options: ProbeOptions): Promise<ProbeResult> {
  const protocols: ProbeProtocol[] =
    options.protocol === "auto" ? ["dlt645", "cjt188", "modbus"] : [options.protocol];
  const ids = options.ids ?? ALL_UNITS;
  for (const id of ids)
    if (!Number.isInteger(id) || id < 1 || id > 247)
      throw new HearthError(`Modbus unit id ${id} is outside 1..247`, ErrorCode.Usage, { id });
  const timeoutMs = options.timeoutMs ?? 300;
  const steps: { protocol: ProbeProtocol; label: string; run: () => Promise<void> }[] = [];
  const result: ProbeResult = {
    port: line.path,
    settings: { ...line.settings },
    found: [],
    warnings: [],
    requests: 0,
  };

  /** Sends one request; undefined on silence; throws only when the port itself fails. */
  const ask = async (request: Buffer, complete: (rx: Buffer) => number): Promise<Buffer | undefined> => {
    result.requests++;
    try {
      return await line.transaction(request, { timeoutMs, complete });
    } catch (e) {
      if (isHearthError(e, ErrorCode.Timeout)) {
        const received = String(e.context.received ?? "");
        if (received.length > 0) return Buffer.from(received, "hex");
        return undefined;
      }
      throw e;
    }
  };

  for (const protocol of protocols) {
    if (protocol === "dlt645") {
      steps.push({
        protocol,
        label: "DL/T 645-2007 read address",
        run: async () => {
          const rx = await ask(dlt.readAddressRequest(), dlt.frameLength);
          if (!rx) return;
          try {
            result.found.push({
              protocol,
              address: dlt.parseAddressReply(dlt.decodeFrame(rx)),
              edition: 2007,
            });
          } catch (e) {
            result.warnings.push(
              `DL/T 645-2007: unreadable reply to read address (${errorMessage(e)}); several meters may be answering at once — read each meter's address from its nameplate`,
            );
          }
        },
      });
      steps.push({
        protocol,
        label: "DL/T 645-1997 read meter number",
        run: async () => {
          // 1997 has no read-address command: the meter number (C032) is read at AA..AA. A 2007 meter
          // may refuse that 1997 frame (C1H); its refusal is not a 1997 meter, so it is skipped.
          const found2007 = result.found.flatMap((f) =>
            f.protocol === "dlt645" && f.edition === 2007 ? [f.address] : [],
          );
          const rx = await ask(dlt97.readAddressRequest1997(), (rx) => {
            const n = dlt.frameLength(rx);
            return n > 0 && isRefusalFrom(rx.subarray(0, n), found2007) ? -n : n;
          });
          // All or the start of a 2007 meter's refusal (cut short by the timeout): not a 1997 meter either.
          if (!rx || isRefusalFrom(rx, found2007) || startsFrameFrom(rx, found2007)) return;
          try {
            const frame = dlt.decodeFrame(rx);
            if ((frame.control & 0xc0) === 0xc0) {
              // A refusal from a meter not heard as 2007: its read-address reply was lost (a timeout).
              result.warnings.push(
                `DL/T 645: meter ${frame.address} refused the 1997 meter-number read, as a 2007 meter does, but did not answer the 2007 read address in time; probe again with a longer --timeout`,
              );
              return;
            }
            result.found.push({ protocol, address: dlt97.parseAddressReply1997(frame), edition: 1997 });
          } catch (e) {
            result.warnings.push(
              `DL/T 645-1997: unreadable reply to the meter-number read (${errorMessage(e)}); several meters may be answering at once — read each meter's address from its nameplate`,
            );
          }
        },
      });
    } else if (protocol === "cjt188") {
      // Some meters answer only their own type byte, so a cold-water request follows the wildcard one.
      for (const meterType of [cjt.WILDCARD_TYPE, cjt.MeterType.ColdWater]) {
        steps.push({
          protocol,
          label: `CJ/T 188 read address (type ${meterType.toString(16).toUpperCase()})`,
          run: async () => {
            if (result.found.some((f) => f.protocol === "cjt188")) return;
            const rx = await ask(cjt.readAddressRequest(0, { meterType }), cjt.frameLength);
            if (!rx) return;
            try {
              const a = cjt.parseAddressReply(cjt.decodeFrame(rx));
              result.found.push({ protocol, address: a.address, meterType: a.meterType });
            } catch (e) {
              result.warnings.push(
                `CJ/T 188: unreadable reply to read address (${errorMessage(e)}); several meters may be answering at once — read each meter's address from its nameplate`,
              );
            }
          },
        });
      }
    } else {
      for (const unitId of ids) {
        steps.push({
          protocol,
          label: `Modbus unit ${unitId}`,
          run: async () => {
            const rx = await ask(readOneRegister(unitId), replyLength(unitId));
            // The framing only completes on a CRC-valid reply from this unit; leftovers are noise.
            if (!rx || replyLength(unitId)(rx) !== rx.length) return;
            const exception = exceptionCode(rx);
            result.found.push(
              exception === undefined ? { protocol, unitId } : { protocol, unitId, exception },
            );
          },
        });
      }
    }
  }

  for (const [i, step] of steps.entries()) {
    if (options.signal?.aborted) break;
    await step.run();
    options.onProgress?.({
      step: i + 1,
      total: steps.length,
      protocol: step.protocol,
      label: step.label,
      found: result.found.length,
    });
  }
  return result;
}

export interface ProbePortOptions extends ProbeOptions {
  path: string;
  binding: BindingInterface;
  clock: Clock;
  /** Settings to try; default the usual ones of the protocols asked (one pass per distinct setting). */
  settings?: SerialSettings[];
  /** How long to wait for the port to open. Default 3000 ms. */
  openTimeoutMs?: number;
}

/**
 * Probes a port that no driver holds, at each protocol's usual settings (or the given ones): opens a
 * `SerialLine` per setting, probes the protocols that use it, closes it. Throws PortOpen when the port
 * cannot be opened (the CLI's exit code 1).
 */
export async function probePort(options: ProbePortOptions): Promise<ProbeResult[]> {
  const protocols: ProbeProtocol[] =
    options.protocol === "auto" ? ["dlt645", "cjt188", "modbus"] : [options.protocol];
  const passes: { settings: SerialSettings; protocols: ProbeProtocol[] }[] = [];
  if (options.settings) {
    for (const s of options.settings) passes.push({ settings: s, protocols });
  } else {
    for (const p of protocols) {
      const s = USUAL_SETTINGS[p];
      const pass = passes.find((x) => describeSettings(x.settings) === describeSettings(s));
      if (pass) pass.protocols.push(p);
      else passes.push({ settings: s, protocols: [p] });
    }
  }
  const results: ProbeResult[] = [];
  const totalSteps = passes.reduce(
    (n, x) => n + x.protocols.reduce((m, p) => m + stepsOf(p, options.ids), 0),
    0,
  );
  let offset = 0;
  for (const pass of passes) {
    const line = new SerialLine({
      path: options.path,
      settings: pass.settings,
      binding: options.binding,
      clock: options.clock,
    });
    try {
      await openOrThrow(line, options.clock, options.openTimeoutMs ?? 3 * SECOND_MS);
      for (const protocol of pass.protocols) {
        const base = offset;
        const r = await probe(line, {
          ...options,
          protocol,
          onProgress: (p) => options.onProgress?.({ ...p, step: base + p.step, total: totalSteps }),
        });
        offset += stepsOf(protocol, options.ids);
        results.push(r);
        if (options.signal?.aborted) break;
      }
    } finally {
      await line.stop();
    }
  }
  return results;
}

function stepsOf(p: ProbeProtocol, ids: number[] | undefined): number {
  return p === "modbus" ? (ids ?? ALL_UNITS).length : 2;
}

function openOrThrow(line: SerialLine, clock: Clock, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let lastError = "did not open";
    const onError = (e: HearthError) => {
      lastError = e.message;
    };
    const done = (err?: HearthError) => {
      timer.cancel();
      line.off("open", onOpen);
      line.off("error", onError);
      if (err) reject(err);
      else resolve();
    };
    const onOpen = () => done();
    const timer = clock.setTimeout(
      () =>
        done(
          new HearthError(`Cannot open ${line.path}: ${lastError}`, ErrorCode.PortOpen, {
            port: line.path,
          }),
        ),
      ms,
    );
    line.on("open", onOpen);
    line.on("error", onError);
    line.start();
  });
}

/** One line of progress for a terminal: "[ 12/249] Modbus unit 10 … 2 found". */
export function formatProgress(p: ProbeProgress): string {
  const width = String(p.total).length;
  return `[${String(p.step).padStart(width)}/${p.total}] ${p.label} … ${p.found} found`;
}

/** Human summary of what was found, one device a line. */
export function describeFound(d: FoundDevice): string {
  switch (d.protocol) {
    case "modbus":
      return d.exception === undefined
        ? `Modbus unit ${d.unitId}`
        : `Modbus unit ${d.unitId} (answered with exception ${d.exception})`;
    case "dlt645":
      return `DL/T 645-${d.edition} meter ${d.address}`;
    case "cjt188":
      return `CJ/T 188 meter ${d.address} (type ${d.meterType.toString(16).toUpperCase().padStart(2, "0")})`;
  }
}

/** A valid abnormal reply (C1H/D1H…) from one of `addresses`: a meter of the other edition refusing. */
function isRefusalFrom(frame: Uint8Array, addresses: readonly string[]): boolean {
  try {
    const f = dlt.decodeFrame(frame);
    return (f.control & 0xc0) === 0xc0 && addresses.includes(f.address);
  } catch {
    return false;
  }
}

/** `rx` is the beginning (68 and as much of the address as came) of a frame from one of `addresses`. */
function startsFrameFrom(rx: Uint8Array, addresses: readonly string[]): boolean {
  let i = 0;
  while (i < rx.length && rx[i] === dlt.WAKE) i++;
  const head = Buffer.from(rx.subarray(i, i + 7));
  if (head.length < 2 || head[0] !== dlt.START || rx.length - i >= dlt.OVERHEAD) return false;
  return addresses.some((a) =>
    Buffer.concat([Buffer.from([dlt.START]), Buffer.from(a, "hex").reverse()])
      .subarray(0, head.length)
      .equals(head),
  );
}

/** The `hearth probe` exit code: 0 when something answered, 3 when nothing did (1, a port error, is thrown). */
export function probeExitCode(results: readonly ProbeResult[]): 0 | 3 {
  return results.some((r) => r.found.length > 0) ? 0 : 3;
}
