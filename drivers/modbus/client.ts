import type { SerialLine } from "../serial/line.js";
import { decodeReadResponse, encodeReadRequest, rtuReplyComplete } from "./rtu.js";
import type { ReadFunction } from "./tables.js";

export interface ReadTiming {
  timeoutMs: number;
  /** Silence before the request (RTU only). */
  gapMs: number;
}

/**
 * The seam below the driver: read registers from one unit. The driver's polling, retry and
 * availability logic is tested against any implementation, the real ones and fakes alike.
 */
export interface ModbusClient {
  readonly kind: "rtu" | "tcp";
  /** Resolves with the registers, or rejects with a HearthError (Timeout, FrameXxx, DeviceException, PortClosed). */
  read(
    unit: number,
    fc: ReadFunction,
    address: number,
    quantity: number,
    timing: ReadTiming,
  ): Promise<number[]>;
  close(): Promise<void>;
}

/** Modbus RTU over a shared `SerialLine`, with our codec (see docs/decisions/modbus-client.md). */
export class RtuClient implements ModbusClient {
  readonly kind = "rtu";
  readonly #line: SerialLine;

  constructor(line: SerialLine) {
    this.#line = line;
  }

  async read(
    unit: number,
    fc: ReadFunction,
    address: number,
    quantity: number,
    timing: ReadTiming,
  ): Promise<number[]> {
    const request = encodeReadRequest(unit, fc, address, quantity);
    const reply = await this.#line.transaction(request, {
      timeoutMs: timing.timeoutMs,
      interFrameGapMs: timing.gapMs,
      complete: rtuReplyComplete(unit, fc),
    });
    return decodeReadResponse(reply, { unit, fc, quantity });
  }

  async close(): Promise<void> {
    // The line belongs to the pool; releasing it is the driver's job.
    await Promise.resolve();
  }
}

/** `tcp://host:port` → host and port (502 when omitted); undefined for a serial path. */
export function parseTcpPort(port: string): { host: string; port: number } | undefined {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+)(?::(\d{1,5}))?\/?$/i.exec(port);
  if (!m) return undefined;
  const host = (m[1] as string).replace(/^\[|\]$/g, "");
  const p = m[2] === undefined ? 502 : Number(m[2]);
  if (p < 1 || p > 65535) return undefined;
  return { host, port: p };
}
