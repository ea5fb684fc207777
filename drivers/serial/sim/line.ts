import { type Clock, SystemClock } from "../../../src/core/clock.js";
import { ErrorCode, HearthError } from "../../../src/core/errors.js";
import { SECOND_MS } from "../../../src/core/time.js";
import type {
  BindingInterface,
  BindingPortInterface,
  OpenOptions,
  PortInfo,
  PortStatus,
} from "../binding-types.js";

/** A reply from a simulated device. */
export interface SimReply {
  data: Buffer;
  /** Device turnaround before the first byte, in ms. */
  delayMs?: number;
}

/**
 * Anything that sits on a simulated RS-485 line: a Modbus meter, a DL/T 645 meter, a CJ/T 188 water
 * meter. Every device sees every request (it is a bus); only the addressed one should answer.
 */
export interface SimulatedDevice {
  respond(request: Buffer): SimReply | undefined;
}

export interface SimulatedLineOptions {
  /**
   * When set, bytes take real time on the wire: `bitsPerChar / baud` seconds each (10 bits for 8N1),
   * and the line carries one frame at a time. Unset: bytes move at once (unit tests).
   */
  baud?: number;
  bitsPerChar?: number;
  /** Deliver each reply in pieces of this many bytes, as a real UART does. Default: whole. */
  chunkSize?: number;
  clock?: Clock;
}

/*
 * The errors a real binding throws, with the same messages. @serialport/stream tells them apart only by
 * `canceled` (a read or write cut short by close, not a disconnect); the errno is kept in the context.
 */
class CanceledError extends HearthError {
  readonly canceled = true;
  constructor(message: string) {
    super(message, ErrorCode.Canceled);
  }
}

function ioError(op: string): HearthError {
  return new HearthError(`EIO: i/o error, ${op}`, ErrorCode.PortClosed, { errno: "EIO" });
}

interface Wire {
  devices: Set<SimulatedDevice>;
  present: boolean;
  port: SimPort | undefined;
  /** Every request written to this path, for assertions. */
  recording: Buffer[];
}

/**
 * A serialport `BindingInterface` whose ports are simulated RS-485 lines: what the real `SerialLine`
 * writes reaches the devices attached to that path, and their replies come back as read bytes. Keeps
 * real failure modes: opening a missing path fails, a port is locked to one opener, unplugging fails the
 * pending read as a disconnect (not a cancel), exactly as a vanished USB adapter does.
 */
export class SimulatedLine implements BindingInterface {
  readonly #wires = new Map<string, Wire>();
  readonly options: Readonly<SimulatedLineOptions>;
  readonly clock: Clock;

  constructor(options: SimulatedLineOptions = {}) {
    this.options = options;
    this.clock = options.clock ?? new SystemClock();
  }

  /** Creates the port path (as plugging in an adapter does) and attaches devices to it. */
  addPort(path: string, ...devices: SimulatedDevice[]): this {
    const w = this.#wire(path);
    w.present = true;
    for (const d of devices) w.devices.add(d);
    return this;
  }

  attach(path: string, device: SimulatedDevice): void {
    this.#wire(path).devices.add(device);
  }

  detach(path: string, device: SimulatedDevice): void {
    this.#wires.get(path)?.devices.delete(device);
  }

  /** The adapter vanishes: the open port's pending read fails (disconnect) and opening fails until `plug`. */
  unplug(path: string): void {
    const w = this.#wires.get(path);
    if (!w) return;
    w.present = false;
    w.port?.vanish();
    w.port = undefined;
  }

  plug(path: string): void {
    this.#wire(path).present = true;
  }

  recording(path: string): readonly Buffer[] {
    return this.#wires.get(path)?.recording ?? [];
  }

  isPortOpen(path: string): boolean {
    return this.#wires.get(path)?.port?.isOpen ?? false;
  }

  async list(): Promise<PortInfo[]> {
    await Promise.resolve();
    return [...this.#wires.entries()]
      .filter(([, w]) => w.present)
      .map(([path]) => ({
        path,
        manufacturer: "Hearth simulation",
        serialNumber: undefined,
        pnpId: undefined,
        locationId: undefined,
        productId: undefined,
        vendorId: undefined,
      }));
  }

  async open(options: OpenOptions): Promise<SimPort> {
    await Promise.resolve();
    const w = this.#wires.get(options.path);
    if (!w?.present) {
      throw new HearthError(
        `Error: No such file or directory, cannot open ${options.path}`,
        ErrorCode.PortOpen,
        { port: options.path, errno: "ENOENT" },
      );
    }
    if (w.port?.isOpen && options.lock !== false)
      throw new HearthError(
        `Error Resource temporarily unavailable Cannot lock port ${options.path}`,
        ErrorCode.PortOpen,
        { port: options.path, errno: "EAGAIN" },
      );
    const port = new SimPort(options, w, this);
    w.port = port;
    return port;
  }

  #wire(path: string): Wire {
    let w = this.#wires.get(path);
    if (!w) {
      w = { devices: new Set(), present: false, port: undefined, recording: [] };
      this.#wires.set(path, w);
    }
    return w;
  }
}

/** One open simulated port. */
export class SimPort implements BindingPortInterface {
  readonly openOptions: Required<OpenOptions>;
  isOpen = true;
  readonly #wire: Wire;
  readonly #line: SimulatedLine;
  #rx: Buffer[] = [];
  #pendingRead: { resolve: () => void; reject: (e: Error) => void } | undefined;
  /** Monotonic time at which the wire is free again (only with byte timing). */
  #wireFreeAt = 0;
  /** The adapter vanished under this open port. */
  #gone = false;

  constructor(options: OpenOptions, wire: Wire, line: SimulatedLine) {
    this.openOptions = {
      dataBits: 8,
      lock: true,
      stopBits: 1,
      parity: "none",
      rtscts: false,
      xon: false,
      xoff: false,
      xany: false,
      hupcl: true,
      ...options,
    };
    this.#wire = wire;
    this.#line = line;
  }

  async close(): Promise<void> {
    await Promise.resolve();
    if (!this.isOpen) throw new HearthError("Port is not open", ErrorCode.PortClosed);
    this.isOpen = false;
    this.#rx = [];
    this.#pendingRead?.reject(new CanceledError("Canceled"));
    this.#pendingRead = undefined;
    if (this.#wire.port === this) this.#wire.port = undefined;
  }

  vanish(): void {
    if (!this.isOpen || this.#gone) return;
    // The fd stays open until the user closes it (as with a real unplugged adapter); I/O fails.
    this.#gone = true;
    this.#rx = [];
    // A vanished adapter fails the read with an I/O error, not a cancel: the stream reports a disconnect.
    this.#pendingRead?.reject(ioError("read"));
    this.#pendingRead = undefined;
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!this.isOpen) throw new CanceledError("Read canceled: port is not open");
    if (this.#gone) throw ioError("read");
    while (this.#rx.length === 0) {
      await new Promise<void>((resolve, reject) => {
        this.#pendingRead = { resolve, reject };
      });
    }
    let bytesRead = 0;
    while (bytesRead < length && this.#rx.length > 0) {
      const head = this.#rx[0] as Buffer;
      const n = Math.min(head.length, length - bytesRead);
      head.copy(buffer, offset + bytesRead, 0, n);
      bytesRead += n;
      if (n === head.length) this.#rx.shift();
      else this.#rx[0] = head.subarray(n);
    }
    return { buffer, bytesRead };
  }

  async write(buffer: Buffer): Promise<void> {
    if (!this.isOpen) throw new CanceledError("Write canceled: port is not open");
    if (this.#gone) throw ioError("write");
    const request = Buffer.from(buffer);
    this.#wire.recording.push(request);
    const clock = this.#line.clock;
    const txMs = this.#byteMs(request.length);
    const now = clock.monotonicMs();
    const start = Math.max(now, this.#wireFreeAt);
    const sentAt = start + txMs;
    this.#wireFreeAt = sentAt;
    // The write resolves once the bytes are handed to the "OS", as a real binding does.
    await Promise.resolve();
    const deliver = () => {
      if (!this.isOpen || this.#gone) return;
      for (const device of this.#wire.devices) {
        let reply: SimReply | undefined;
        try {
          reply = device.respond(request);
        } catch {
          // A broken simulator behaves like a silent meter.
          reply = undefined;
        }
        if (reply) this.#sendReply(reply);
      }
    };
    this.#runAt(sentAt, deliver);
  }

  #sendReply(reply: SimReply): void {
    const clock = this.#line.clock;
    const now = clock.monotonicMs();
    const data = reply.data;
    // With byte timing the line carries one frame at a time (collisions are not modelled: a reply
    // waits for the wire). Without it, bytes take no time and nothing waits.
    const timed = this.#line.options.baud !== undefined;
    const begin = timed ? Math.max(now + (reply.delayMs ?? 0), this.#wireFreeAt) : now + (reply.delayMs ?? 0);
    const chunk = this.#line.options.chunkSize ?? data.length;
    if (timed) this.#wireFreeAt = begin + this.#byteMs(data.length);
    for (let off = 0; off < data.length; off += Math.max(1, chunk)) {
      const piece = data.subarray(off, off + Math.max(1, chunk));
      const at = begin + this.#byteMs(off + piece.length);
      const push = () => this.#push(piece);
      this.#runAt(at, push);
    }
  }

  /**
   * Runs `fn` at monotonic time `at`, never before: a timer may fire early (its start is the event
   * loop's cached time), so an early call waits again for the rest. Byte timing stays honest.
   */
  #runAt(at: number, fn: () => void): void {
    const clock = this.#line.clock;
    const wait = at - clock.monotonicMs();
    if (wait <= 0) fn();
    else clock.setTimeout(() => this.#runAt(at, fn), Math.ceil(wait));
  }

  #push(piece: Buffer): void {
    if (!this.isOpen || this.#gone || piece.length === 0) return;
    this.#rx.push(Buffer.from(piece));
    const p = this.#pendingRead;
    this.#pendingRead = undefined;
    p?.resolve();
  }

  #byteMs(bytes: number): number {
    const baud = this.#line.options.baud;
    if (!baud) return 0;
    return (bytes * (this.#line.options.bitsPerChar ?? 10) * SECOND_MS) / baud;
  }

  async update(options: { baudRate: number }): Promise<void> {
    await Promise.resolve();
    this.openOptions.baudRate = options.baudRate;
  }
  async set(): Promise<void> {
    await Promise.resolve();
  }
  async get(): Promise<PortStatus> {
    await Promise.resolve();
    return { cts: true, dsr: true, dcd: true };
  }
  async getBaudRate(): Promise<{ baudRate: number }> {
    await Promise.resolve();
    return { baudRate: this.openOptions.baudRate };
  }
  async flush(): Promise<void> {
    await Promise.resolve();
    this.#rx = [];
  }
  async drain(): Promise<void> {
    await Promise.resolve();
  }
}
