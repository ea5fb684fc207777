import { connect, type Socket } from "node:net";
import { type Clock, SystemClock, type Timer } from "../../src/core/clock.js";
import { ErrorCode, errorMessage, HearthError, isHearthError } from "../../src/core/errors.js";
import type { ModbusClient, ReadTiming } from "./client.js";
import { decodeTcp, encodeTcp, tcpFrameLength } from "./mbap.js";
import { decodeResponsePdu, encodeRequestPdu, registersOf } from "./pdu.js";
import type { ReadFunction } from "./tables.js";

export interface TcpClientOptions {
  /** Runs the connect and reply timeouts; default the system clock. */
  clock?: Clock;
  /** Opens the socket; default `net.connect`. Injected by tests. */
  connect?: (host: string, port: number) => Socket;
}

interface Pending {
  tid: number;
  unit: number;
  fc: ReadFunction;
  quantity: number;
  timer: Timer;
  resolve: (registers: number[]) => void;
  reject: (e: HearthError) => void;
}

/**
 * Modbus TCP on a `net.Socket` with our codec (docs/decisions/modbus-client.md): one socket per
 * host:port, one request at a time on it (cheap gateways mishandle pipelining), each with the next
 * transaction id. The reply timeout starts when the request is written, on the injected clock; a
 * reply with another transaction id (a late one, to a request that timed out) is dropped. Any failure
 * other than an exception reply closes the socket, and the next read reconnects.
 */
export class TcpClient implements ModbusClient {
  readonly kind = "tcp";
  readonly host: string;
  readonly port: number;
  /** Replies dropped for carrying another transaction id. */
  staleReplies = 0;
  readonly #clock: Clock;
  readonly #connect: (host: string, port: number) => Socket;
  #socket: Socket | undefined;
  #rx: Buffer = Buffer.alloc(0);
  #tid = 0;
  #pending: Pending | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(host: string, port: number, options: TcpClientOptions = {}) {
    this.host = host;
    this.port = port;
    this.#clock = options.clock ?? new SystemClock();
    this.#connect = options.connect ?? ((h, p) => connect({ host: h, port: p }));
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

  get #where(): string {
    return `${this.host}:${this.port}`;
  }

  async #read(
    unit: number,
    fc: ReadFunction,
    address: number,
    quantity: number,
    timing: ReadTiming,
  ): Promise<number[]> {
    // Built first: a bad argument is a bug of ours, not a reason to open a socket.
    const pdu = encodeRequestPdu({ fc, address, quantity });
    const socket = await this.#open(timing.timeoutMs, unit);
    this.#tid = (this.#tid + 1) & 0xffff;
    const tid = this.#tid;
    return new Promise<number[]>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        if (this.#pending?.tid !== tid) return;
        this.#pending = undefined;
        this.#drop();
        reject(
          new HearthError(
            `Modbus TCP ${this.#where} unit ${unit}: no reply in ${timing.timeoutMs} ms`,
            ErrorCode.Timeout,
            {
              host: this.host,
              port: this.port,
              unit,
              transactionId: tid,
            },
          ),
        );
      }, timing.timeoutMs);
      this.#pending = { tid, unit, fc, quantity, timer, resolve, reject };
      socket.write(encodeTcp(tid, unit, pdu));
    });
  }

  /** The open socket, or a new one connected within `timeoutMs`. */
  #open(timeoutMs: number, unit: number): Promise<Socket> {
    const current = this.#socket;
    if (current && !current.destroyed && !current.connecting) return Promise.resolve(current);
    this.#drop();
    const ctx = { host: this.host, port: this.port, unit };
    return new Promise<Socket>((resolve, reject) => {
      const socket = this.#connect(this.host, this.port);
      const timer = this.#clock.setTimeout(() => {
        socket.destroy();
        reject(
          new HearthError(
            `Modbus TCP ${this.#where}: no connection in ${timeoutMs} ms`,
            ErrorCode.Timeout,
            ctx,
          ),
        );
      }, timeoutMs);
      const failed = (e: Error) => {
        timer.cancel();
        socket.destroy();
        reject(
          new HearthError(`Modbus TCP ${this.#where}: ${errorMessage(e)}`, ErrorCode.PortClosed, ctx, {
            cause: e,
          }),
        );
      };
      socket.once("error", failed);
      socket.once("connect", () => {
        timer.cancel();
        socket.off("error", failed);
        socket.setNoDelay(true);
        this.#attach(socket);
        resolve(socket);
      });
    });
  }

  #attach(socket: Socket): void {
    this.#socket = socket;
    this.#rx = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      if (this.#socket === socket) this.#receive(chunk);
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#fail(
        new HearthError(`Modbus TCP ${this.#where}: connection closed`, ErrorCode.PortClosed, {
          host: this.host,
          port: this.port,
        }),
      );
    });
  }

  #receive(chunk: Buffer): void {
    this.#rx = Buffer.concat([this.#rx, chunk]);
    for (;;) {
      const n = tcpFrameLength(this.#rx);
      if (n < 0) {
        const bad = this.#rx;
        this.#drop();
        this.#fail(
          new HearthError(
            `Modbus TCP ${this.#where}: bytes that are not an MBAP header`,
            ErrorCode.FrameMalformed,
            {
              host: this.host,
              port: this.port,
              frame: bad.subarray(0, 16).toString("hex"),
            },
          ),
        );
        return;
      }
      if (n === 0 || this.#rx.length < n) return;
      const frame = Buffer.from(this.#rx.subarray(0, n));
      this.#rx = this.#rx.subarray(n);
      this.#reply(frame);
    }
  }

  #reply(frame: Buffer): void {
    const p = this.#pending;
    const tid = frame.readUInt16BE(0);
    if (!p || tid !== p.tid) {
      this.staleReplies++;
      return;
    }
    try {
      const adu = decodeTcp(frame);
      if (adu.unit !== p.unit)
        throw new HearthError(
          `Modbus TCP ${this.#where}: reply from unit ${adu.unit}, asked unit ${p.unit}`,
          ErrorCode.FrameUnexpected,
          { host: this.host, port: this.port, unit: p.unit, offset: 6 },
        );
      const registers = registersOf(decodeResponsePdu(adu.pdu, 7, frame), p, frame);
      this.#settle();
      p.resolve(registers);
    } catch (e) {
      const err = isHearthError(e)
        ? e
        : new HearthError(
            `Modbus TCP ${this.#where}: ${errorMessage(e)}`,
            ErrorCode.FrameMalformed,
            {},
            { cause: e },
          );
      // An exception reply is the device saying no: the connection is fine.
      if (err.code !== ErrorCode.DeviceException) this.#drop();
      this.#fail(err);
    }
  }

  #settle(): void {
    this.#pending?.timer.cancel();
    this.#pending = undefined;
  }

  #fail(e: HearthError): void {
    const p = this.#pending;
    if (!p) return;
    this.#settle();
    p.reject(e);
  }

  /** Closes the socket without failing the pending read (callers fail it with their own reason). */
  #drop(): void {
    const s = this.#socket;
    this.#socket = undefined;
    this.#rx = Buffer.alloc(0);
    s?.destroy();
  }

  async close(): Promise<void> {
    this.#drop();
    this.#fail(new HearthError(`Modbus TCP ${this.#where}: client closed`, ErrorCode.PortClosed, {}));
    await Promise.resolve();
  }
}
