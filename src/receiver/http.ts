import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WATCH_LEVELS } from "../contract/messages.js";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { ReceiverStore } from "./store/types.js";

const MAX_BODY = 16 * 1024;

export interface HttpOptions {
  host: string;
  port: number;
  /** Required as `Authorization: Bearer <token>` when set (the API bound beyond loopback). */
  token: string | undefined;
}

/**
 * The receiver's HTTP API (this slice: no console page yet).
 * - `GET /api/alerts`: open alerts, newest first.
 * - `GET /api/homes`: gateways and their liveness.
 * - `POST /api/alerts/:id/ack` `{ "by", "note"? }`: an operator's acknowledgement (`--ack manual`).
 * - `POST /api/homes/:home/watch` `{ "level", "until"? }`: the home's desired watch level.
 * State-changing requests must be `application/json`: a cross-site form cannot send that without a
 * CORS preflight, which this server never grants.
 */
export interface HttpDeps {
  store: ReceiverStore;
  log: Logger;
  ack(alert: string, by: string, note: string | undefined): Promise<boolean>;
  watch(home: string, level: string, until: string | undefined): Promise<void>;
}

/** A request the API refuses: its HTTP status and why. */
class HttpFailure extends HearthError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message, ErrorCode.Usage, { status });
  }
}

export class ReceiverHttp {
  readonly #o: HttpOptions;
  readonly #deps: HttpDeps;
  #server: Server | undefined;

  constructor(o: HttpOptions, deps: HttpDeps) {
    this.#o = o;
    this.#deps = deps;
  }

  get address(): { host: string; port: number } | undefined {
    const a = this.#server?.address() as AddressInfo | null | undefined;
    return a ? { host: a.address, port: a.port } : undefined;
  }

  start(): Promise<void> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        const status = e instanceof HttpFailure ? e.status : 500;
        if (status === 500) this.#deps.log.error({ err: e, url: req.url }, "HTTP request failed");
        send(res, status, { error: errorMessage(e) });
      });
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#o.port, this.#o.host, () => {
        this.#deps.log.info({ address: this.address }, "HTTP API listening");
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    const s = this.#server;
    if (!s) return Promise.resolve();
    s.closeAllConnections();
    return new Promise((resolve) => s.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#authorize(req);
    const url = new URL(req.url ?? "/", "http://receiver");
    const path = url.pathname;
    if (req.method === "GET" && path === "/api/alerts")
      return send(res, 200, await this.#deps.store.openAlerts());
    if (req.method === "GET" && path === "/api/homes")
      return send(res, 200, await this.#deps.store.listGateways());
    const ack = /^\/api\/alerts\/([^/]{1,128})\/ack$/.exec(path);
    if (req.method === "POST" && ack) {
      const body = await jsonBody(req);
      const by =
        typeof body.by === "string" && body.by.length > 0 && body.by.length <= 200 ? body.by : undefined;
      const note = typeof body.note === "string" ? body.note.slice(0, 1000) : undefined;
      if (!by) throw new HttpFailure(400, '"by": who acknowledges, 1 to 200 characters');
      const done = await this.#deps.ack(decodeURIComponent(ack[1] as string), by, note);
      return done
        ? send(res, 200, { acknowledged: true })
        : send(res, 409, { error: "not an open, unacknowledged alert" });
    }
    const watch = /^\/api\/homes\/([A-Za-z0-9_-]{1,64})\/watch$/.exec(path);
    if (req.method === "POST" && watch) {
      const body = await jsonBody(req);
      const level = String(body.level);
      const until = typeof body.until === "string" ? body.until : undefined;
      if (!(WATCH_LEVELS as readonly string[]).includes(level))
        throw new HttpFailure(400, `"level": one of ${WATCH_LEVELS.join(", ")}`);
      if (level === "away" && !until) throw new HttpFailure(400, '"until" is required for away');
      await this.#deps.watch(watch[1] as string, level, until);
      return send(res, 200, { level, ...(until ? { until } : {}) });
    }
    throw new HttpFailure(404, "not found");
  }

  #authorize(req: IncomingMessage): void {
    const token = this.#o.token;
    if (token === undefined) return;
    const given = Buffer.from(req.headers.authorization ?? "");
    const want = Buffer.from(`Bearer ${token}`);
    if (given.length !== want.length || !timingSafeEqual(given, want))
      throw new HttpFailure(401, "unauthorized");
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!(req.headers["content-type"] ?? "").startsWith("application/json"))
    throw new HttpFailure(415, "send application/json");
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpFailure(413, "body too large");
    chunks.push(c as Buffer);
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new HttpFailure(400, "the body is not a JSON object");
}
