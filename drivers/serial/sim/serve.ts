import { SerialPortStream } from "@serialport/stream";
import { ErrorCode, HearthError } from "../../../src/core/errors.js";
import type { SerialSettings } from "../../../src/profiles/common.js";
import type { BindingInterface } from "../binding-types.js";
import type { SimulatedDevice } from "./line.js";

export interface ServedPort {
  readonly path: string;
  /** Requests seen, for assertions. */
  readonly requests: number;
  close(): Promise<void>;
}

export interface ServePortOptions {
  binding: BindingInterface;
  path: string;
  settings?: SerialSettings;
  devices: readonly SimulatedDevice[];
  /**
   * Silence that ends a request, as RTU's 3.5 characters do on a real line. Default 4 ms: longer
   * than the gaps a pty or USB adapter puts inside one frame, shorter than a client's turnaround.
   */
  idleMs?: number;
}

/**
 * Serves simulated devices on a real port: the far end of a `socat` pseudo-terminal pair, or a USB
 * adapter looped to another. Bytes are framed by silence, handed to every device, and the replies
 * written back, so outside tools (mbpoll, pymodbus) and the real driver talk to the simulators.
 */
export async function servePort(options: ServePortOptions): Promise<ServedPort> {
  const s = options.settings ?? { baud: 9600, data_bits: 8, parity: "none", stop_bits: 1 };
  const port = new SerialPortStream({
    binding: options.binding,
    path: options.path,
    baudRate: s.baud,
    dataBits: s.data_bits,
    parity: s.parity,
    stopBits: s.stop_bits,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err
        ? reject(new HearthError(err.message, ErrorCode.PortOpen, { port: options.path }, { cause: err }))
        : resolve(),
    ),
  );
  let rx: Buffer[] = [];
  let idle: NodeJS.Timeout | undefined;
  let requests = 0;
  const timers = new Set<NodeJS.Timeout>();
  const flush = () => {
    idle = undefined;
    const request = Buffer.concat(rx);
    rx = [];
    if (request.length === 0) return;
    requests++;
    for (const d of options.devices) {
      let reply: ReturnType<SimulatedDevice["respond"]>;
      try {
        reply = d.respond(request);
      } catch {
        reply = undefined;
      }
      if (!reply) continue;
      const data = reply.data;
      const t = setTimeout(() => {
        timers.delete(t);
        if (port.isOpen) port.write(data);
      }, reply.delayMs ?? 0);
      timers.add(t);
    }
  };
  port.on("data", (chunk: Buffer) => {
    rx.push(chunk);
    if (idle) clearTimeout(idle);
    idle = setTimeout(flush, options.idleMs ?? 4);
  });
  // The other end going away (socat killed) is the test's business, not a crash.
  port.on("error", () => {});
  return {
    path: options.path,
    get requests() {
      return requests;
    },
    close: async () => {
      if (idle) clearTimeout(idle);
      for (const t of timers) clearTimeout(t);
      port.removeAllListeners("data");
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
}
