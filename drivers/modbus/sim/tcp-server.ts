import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";
import { tcpFrameLength } from "../mbap.js";
import type { SimulatedModbusMeter } from "./meter.js";

export interface ModbusTcpServer {
  host: string;
  port: number;
  /** `tcp://host:port`, ready for a device's `port:` in a config. */
  url: string;
  close(): Promise<void>;
}

/**
 * A Modbus TCP server on a loopback port (0 = any free port) answering for the given meters by unit
 * id, with each meter's faults applied. Bytes that are not MBAP close the connection, as real
 * gateways do.
 */
export async function startModbusTcpServer(
  meters: readonly SimulatedModbusMeter[],
  options: { host?: string; port?: number } = {},
): Promise<ModbusTcpServer> {
  const host = options.host ?? "127.0.0.1";
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let rx: Buffer = Buffer.alloc(0);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      rx = Buffer.concat([rx, chunk]);
      for (;;) {
        const n = tcpFrameLength(rx);
        if (n < 0) {
          socket.destroy();
          return;
        }
        if (n === 0 || rx.length < n) return;
        const frame = rx.subarray(0, n);
        rx = rx.subarray(n);
        for (const m of meters) {
          const reply = m.respondTcp(frame);
          if (!reply) continue;
          const t = setTimeout(() => {
            timers.delete(t);
            if (!socket.destroyed) socket.write(reply.data);
          }, reply.delayMs ?? 0);
          timers.add(t);
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host,
    port,
    url: `tcp://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
