import { createServer, type Socket } from "node:net";
import { Aedes } from "aedes";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";

export interface EmbeddedBrokerOptions {
  /** Default 127.0.0.1: the demo broker never listens beyond loopback. */
  host?: string;
  /** Default 0: a free port chosen by the system. */
  port?: number;
}

export interface EmbeddedBroker {
  /** mqtt://host:port */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops listening, drops every client connection and closes the broker. Idempotent. */
  close(): Promise<void>;
}

/**
 * An in-process MQTT 3.1.1 broker (aedes, in-memory persistence) for the demo and for tests on machines
 * with nothing but Node. aedes 1.x does not speak MQTT 5: clients must use protocol version 4.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? "127.0.0.1";
  // aedes 1.x: construction is async (createBroker awaits its persistence and mq).
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    aedes.handle(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw new HearthError(
      errorMessage(e),
      ErrorCode.PortOpen,
      { host, port: options.port ?? 0 },
      { cause: e },
    );
  }
  const address = server.address();
  // listen() on a host and port always gives a TCP address; anything else is a bug.
  if (address === null || typeof address === "string")
    throw new HearthError("embedded broker has no TCP address", ErrorCode.Internal, { address });
  const port = address.port;
  let closing: Promise<void> | undefined;
  return {
    url: `mqtt://${host}:${port}`,
    host,
    port,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await serverClosed;
      })();
      return closing;
    },
  };
}
