import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { ErrorCode, errorMessage, HearthError, isHearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { ControlReply, ControlRequest } from "./socket.js";

export type ControlHandler = (request: ControlRequest) => Promise<unknown> | unknown;

/** Longest request line read before the answer is "request too long" (characters). */
const MAX_REQUEST = 64 * 1024;

/** The agent's side of the control socket (see socket.ts): answers each request line with its handler's result. */
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
        throw new HearthError(
          `another agent is running (control socket ${this.path} answers)`,
          ErrorCode.ControlInUse,
          { path: this.path },
        );
      unlinkSync(this.path);
    }
    const server = createServer((sock) => this.#serve(sock));
    this.#server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(this.path, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (e) {
      throw new HearthError(errorMessage(e), ErrorCode.ControlUnavailable, { path: this.path }, { cause: e });
    }
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
      if (buf.length > MAX_REQUEST) {
        sock.end(reply({ ok: false, error: "request too long", code: ErrorCode.CommandInvalid }));
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
    let answer: ControlReply;
    try {
      const req = parseRequest(line);
      const handler = this.handlers[req.cmd];
      if (!handler)
        throw new HearthError(
          `unknown command "${req.cmd}" (known: ${Object.keys(this.handlers).join(", ")})`,
          ErrorCode.CommandUnknown,
          { cmd: req.cmd },
        );
      answer = { ok: true, data: await handler(req) };
    } catch (e) {
      this.log.debug({ err: e }, "Control request failed");
      answer = { ok: false, error: errorMessage(e), ...(isHearthError(e) ? { code: e.code } : {}) };
    }
    if (!sock.destroyed) sock.write(reply(answer));
  }
}

function reply(r: ControlReply): string {
  return `${JSON.stringify(r)}\n`;
}

function parseRequest(line: string): ControlRequest {
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch (e) {
    throw new HearthError(errorMessage(e), ErrorCode.CommandInvalid, {}, { cause: e });
  }
  if (typeof req !== "object" || req === null || typeof (req as { cmd?: unknown }).cmd !== "string")
    throw new HearthError('a request needs "cmd"', ErrorCode.CommandInvalid);
  return req as ControlRequest;
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
