import ModbusSerial from "modbus-serial";
import { ErrorCode, errorMessage, HearthError, isHearthError } from "../../src/core/errors.js";
import type { SerialLine } from "../serial/line.js";
import { decodeReadResponse, encodeReadRequest, rtuReplyComplete } from "./rtu.js";
import { exceptionName, type ReadFunction } from "./tables.js";

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

/*
 * modbus-serial is CommonJS: under NodeNext its default import is `module.exports`, and the class is
 * its `default` property (the package sets `module.exports.default = module.exports`).
 */
const ModbusRTU = ModbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

/** What modbus-serial rejects with: plain errors told apart by name, errno or modbusCode. */
interface ModbusSerialError {
  name?: string;
  message?: string;
  errno?: string;
  code?: string;
  modbusCode?: number;
}

/**
 * Modbus TCP through modbus-serial. One socket per host:port, one request at a time on it (cheap
 * gateways mishandle pipelining); any failure other than an exception reply drops the socket so the
 * next read reconnects.
 */
export class TcpClient implements ModbusClient {
  readonly kind = "tcp";
  readonly host: string;
  readonly port: number;
  #client: ModbusRTU | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
  }

  read(
    unit: number,
    fc: ReadFunction,
    address: number,
    quantity: number,
    timing: ReadTiming,
  ): Promise<number[]> {
    const run = () => this.#read(unit, fc, address, quantity, timing);
    const p = this.#chain.then(run, run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  async #read(
    unit: number,
    fc: ReadFunction,
    address: number,
    quantity: number,
    timing: ReadTiming,
  ): Promise<number[]> {
    const where = `${this.host}:${this.port}`;
    let client = this.#client;
    try {
      if (!client?.isOpen) {
        client = new ModbusRTU();
        client.setTimeout(timing.timeoutMs);
        await client.connectTCP(this.host, { port: this.port, timeout: timing.timeoutMs });
        this.#client = client;
      }
      client.setID(unit);
      client.setTimeout(timing.timeoutMs);
      const res =
        fc === 3
          ? await client.readHoldingRegisters(address, quantity)
          : await client.readInputRegisters(address, quantity);
      if (res.data.length !== quantity)
        throw new HearthError(
          `Modbus TCP ${where} unit ${unit} returned ${res.data.length} registers, expected ${quantity}`,
          ErrorCode.FrameUnexpected,
          { host: this.host, port: this.port, unit },
        );
      return res.data;
    } catch (e) {
      const err = this.#classify(e, unit, where);
      if (err.code !== ErrorCode.DeviceException) await this.#drop();
      throw err;
    }
  }

  #classify(e: unknown, unit: number, where: string): HearthError {
    if (isHearthError(e)) return e;
    const m = (e ?? {}) as ModbusSerialError;
    const ctx = { host: this.host, port: this.port, unit };
    if (typeof m.modbusCode === "number")
      return new HearthError(
        `Modbus TCP ${where} unit ${unit} answered with exception ${m.modbusCode} (${exceptionName(m.modbusCode)})`,
        ErrorCode.DeviceException,
        { ...ctx, exception: m.modbusCode, exceptionName: exceptionName(m.modbusCode) },
      );
    if (m.name === "TransactionTimedOutError" || m.errno === "ETIMEDOUT" || m.code === "ETIMEDOUT")
      return new HearthError(`Modbus TCP ${where} unit ${unit}: no reply in time`, ErrorCode.Timeout, ctx);
    if (
      m.errno === "ECONNREFUSED" ||
      m.code === "ECONNREFUSED" ||
      m.code === "ECONNRESET" ||
      m.code === "EPIPE" ||
      m.code === "EHOSTUNREACH"
    )
      return new HearthError(`Modbus TCP ${where}: ${errorMessage(e)}`, ErrorCode.PortClosed, ctx, {
        cause: e,
      });
    return new HearthError(
      `Modbus TCP ${where} unit ${unit}: ${errorMessage(e)}`,
      ErrorCode.FrameMalformed,
      ctx,
      {
        cause: e,
      },
    );
  }

  async #drop(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    if (!c) return;
    await new Promise<void>((resolve) => {
      try {
        c.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  async close(): Promise<void> {
    await this.#drop();
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
