import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/log.js";

/**
 * The running agent's local control socket: a Unix socket in the state directory, no network port.
 * One JSON request per line (`{"cmd":"status"}`), one JSON answer per line.
 */
export type ControlHandler = (request: { cmd: string; [k: string]: unknown }) => Promise<unknown> | unknown;

export class ControlServer {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  constructor(
    private readonly path: string,
    private readonly handlers: Record<string, ControlHandler>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (existsSync(this.path)) {
      // A socket left by a killed agent; refuse only if another agent still answers on it.
      if (await isAlive(this.path))
        throw new Error(`another agent is running (control socket ${this.path} answers)`);
      unlinkSync(this.path);
    }
    const server = createServer((sock) => this.#serve(sock));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.path, () => {
        server.off("error", reject);
        resolve();
      });
    });
    chmodSync(this.path, 0o660);
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }

  #serve(sock: Socket): void {
    this.#sockets.add(sock);
    sock.on("close", () => this.#sockets.delete(sock));
    sock.on("error", () => sock.destroy());
    let buf = "";
    sock.setEncoding("utf8");
    sock.on("data", (chunk: string) => {
      buf += chunk;
      if (buf.length > 64 * 1024) {
        sock.end(`${JSON.stringify({ ok: false, error: "request too long" })}\n`);
        return;
      }
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        void this.#answer(sock, line);
        nl = buf.indexOf("\n");
      }
    });
  }

  async #answer(sock: Socket, line: string): Promise<void> {
    let reply: unknown;
    try {
      const req = JSON.parse(line) as { cmd?: unknown };
      if (typeof req.cmd !== "string") throw new Error('a request needs "cmd"');
      const handler = this.handlers[req.cmd];
      if (!handler)
        throw new Error(`unknown command "${req.cmd}" (known: ${Object.keys(this.handlers).join(", ")})`);
      reply = { ok: true, data: await handler(req as { cmd: string }) };
    } catch (e) {
      this.log.debug({ err: e }, "Control request failed");
      reply = { ok: false, error: errorMessage(e) };
    }
    if (!sock.destroyed) sock.write(`${JSON.stringify(reply)}\n`);
  }
}

function isAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}

/** Sends one request to a running agent and returns its answer. */
export function controlRequest(
  path: string,
  request: { cmd: string; [k: string]: unknown },
  timeoutMs = 5000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let buf = "";
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error(`no answer from the agent on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    c.setEncoding("utf8");
    c.once("connect", () => c.write(`${JSON.stringify(request)}\n`));
    c.on("data", (d: string) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      c.destroy();
      try {
        const reply = JSON.parse(buf.slice(0, nl)) as { ok: boolean; data?: unknown; error?: string };
        if (reply.ok) resolve(reply.data);
        else reject(new Error(reply.error ?? "the agent refused the request"));
      } catch (e) {
        reject(e);
      }
    });
    c.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new Error(
          e.code === "ENOENT" || e.code === "ECONNREFUSED"
            ? `no agent is running with its control socket at ${path}`
            : `cannot reach the agent at ${path}: ${e.message}`,
        ),
      );
    });
  });
}
