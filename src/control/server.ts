import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { ErrorCode, errorMessage, HearthError, isHearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { SECOND_MS } from "../core/time.js";
import type { ControlReply, ControlRequest } from "./socket.js";

export type ControlHandler = (request: ControlRequest) => Promise<unknown> | unknown;

/** Longest request line, in characters; past it the answer is "request too long" and the connection is closed. */
export const MAX_REQUEST_CHARS = 64 * 1024;
/** A connection with no request and no reply for this long is closed (a request still being answered keeps it). */
export const CONTROL_IDLE_TIMEOUT_MS = 30 * SECOND_MS;
/** Connections open at once; one more is answered "too many control connections" and closed. */
export const MAX_CONTROL_CONNECTIONS = 16;

export interface ControlServerOptions {
  /** Default CONTROL_IDLE_TIMEOUT_MS. */
  idleTimeoutMs?: number;
  /** Default MAX_CONTROL_CONNECTIONS. */
  maxConnections?: number;
}

/** The agent's side of the control socket (see socket.ts): answers each request line with its handler's result. */
export class ControlServer {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #idleTimeoutMs: number;
  readonly #maxConnections: number;
  constructor(
    private readonly path: string,
    private readonly handlers: Record<string, ControlHandler>,
    private readonly log: Logger,
    options: ControlServerOptions = {},
  ) {
    this.#idleTimeoutMs = options.idleTimeoutMs ?? CONTROL_IDLE_TIMEOUT_MS;
    this.#maxConnections = options.maxConnections ?? MAX_CONTROL_CONNECTIONS;
  }

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
    sock.on("error", () => sock.destroy());
    if (this.#sockets.size >= this.#maxConnections) {
      this.log.warn({ limit: this.#maxConnections }, "Control connection refused: too many open");
      closeWith(sock, {
        ok: false,
        error: `too many control connections (limit ${this.#maxConnections})`,
        code: ErrorCode.ControlUnavailable,
      });
      return;
    }
    this.#sockets.add(sock);
    sock.on("close", () => this.#sockets.delete(sock));
    let pending = 0;
    sock.setTimeout(this.#idleTimeoutMs);
    sock.on("timeout", () => {
      // A handler still working is not the client's idleness: wait for its reply.
      if (pending > 0) {
        sock.setTimeout(this.#idleTimeoutMs);
        return;
      }
      this.log.debug({ idleMs: this.#idleTimeoutMs }, "Control connection closed: idle");
      sock.destroy();
    });
    let buf = "";
    sock.setEncoding("utf8");
    const onData = (chunk: string): void => {
      // Search only what is new: a line sent a byte at a time is not rescanned from its start each time.
      const scanned = buf.length;
      buf += chunk;
      let nl = buf.indexOf("\n", scanned);
      while (nl >= 0) {
        if (nl > MAX_REQUEST_CHARS) break;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        pending++;
        void this.#answer(sock, line).finally(() => pending--);
        nl = buf.indexOf("\n");
      }
      if (nl > MAX_REQUEST_CHARS || buf.length > MAX_REQUEST_CHARS) {
        sock.off("data", onData);
        buf = "";
        this.log.debug({ limit: MAX_REQUEST_CHARS }, "Control connection closed: request too long");
        closeWith(sock, {
          ok: false,
          error: `request too long (limit ${MAX_REQUEST_CHARS} characters)`,
          code: ErrorCode.CommandInvalid,
        });
      }
    };
    sock.on("data", onData);
  }

  async #answer(sock: Socket, line: string): Promise<void> {
    let answer: ControlReply;
    try {
      const req = parseRequest(line);
      // Own properties only: "constructor", "toString", "__proto__" are unknown names, not Object's.
      const handler = Object.hasOwn(this.handlers, req.cmd) ? this.handlers[req.cmd] : undefined;
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
    if (sock.destroyed || sock.writableEnded) return;
    // A client that sends but does not read: stop reading its requests until its replies drain, so
    // neither side's buffers grow without limit (the idle timeout ends it if it never reads).
    if (!sock.write(reply(answer)) && !sock.isPaused()) {
      sock.pause();
      sock.once("drain", () => {
        if (!sock.writableEnded) sock.resume();
      });
    }
  }
}

function reply(r: ControlReply): string {
  return `${JSON.stringify(r)}\n`;
}

/** Sends one last reply and closes the connection once it is flushed, reading nothing more. */
function closeWith(sock: Socket, r: ControlReply): void {
  sock.pause();
  sock.end(reply(r), () => sock.destroy());
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
