import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WATCH_LEVELS } from "../contract/messages.js";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { ConsoleAssets, SECURITY_HEADERS } from "./console-assets.js";
import { ConsoleEvents } from "./console-events.js";
import type { ReceiverStore } from "./store/types.js";

const MAX_BODY = 16 * 1024;
const HOME = "([A-Za-z0-9_-]{1,64})";
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A watch command's `until` is refused by the gateway further ahead than this (docs/contract.md). */
const MAX_UNTIL_MS = 30 * 86_400_000;

export interface HttpOptions {
  host: string;
  port: number;
  /**
   * Required when set (bound beyond loopback): `Authorization: Bearer <token>` for programs, or basic
   * auth with the token as the password (any user name) for the console in a browser.
   */
  token: string | undefined;
  /** How often the console's event stream looks at the store for changes (default 1 s). */
  eventsPollMs?: number | undefined;
}

/**
 * The receiver's HTTP API and the operator console (docs/receiver.md, "HTTP API"):
 * - `GET /` (and its script and style): the console page.
 * - `GET /api/alerts`: open alerts, newest first. `GET /api/homes`: gateways and their liveness.
 * - `GET /api/events`: server-sent events of changes (console-events.ts).
 * - `GET /api/homes/:home/summaries?from&to`, `GET /api/homes/:home/alerts`,
 *   `GET /api/homes/:home/commissioning`: a home's file (the last, its commissioning reports).
 * - `POST /api/alerts/:id/ack` `{ "by", "note"? }`: an operator's acknowledgement (`--ack manual`).
 * - `POST /api/homes/:home/watch`, `POST /api/watch` `{ "level", "until"?, "homes" }`: watch levels.
 * State-changing requests must be `application/json` (a cross-site form cannot send that without a
 * CORS preflight, which this server never grants) and are refused when the browser says they come
 * from another site (`Sec-Fetch-Site`, `Origin`): basic auth credentials ride along on any request.
 */
export interface HttpDeps {
  store: ReceiverStore;
  log: Logger;
  /** Wall time in ms (checks `until`). */
  now(): number;
  ack(alert: string, by: string, note: string | undefined): Promise<boolean>;
  watch(home: string, level: string, until: string | undefined): Promise<void>;
}

/** A request the API refuses: its HTTP status and why. */
class HttpFailure extends HearthError {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message, ErrorCode.Usage, { status });
  }
}

export class ReceiverHttp {
  readonly #o: HttpOptions;
  readonly #deps: HttpDeps;
  readonly #assets = new ConsoleAssets();
  readonly #events: ConsoleEvents;
  #server: Server | undefined;

  constructor(o: HttpOptions, deps: HttpDeps) {
    this.#o = o;
    this.#deps = deps;
    this.#events = new ConsoleEvents(deps.store, deps.log, o.eventsPollMs ?? 1000);
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
        if (res.headersSent) res.end();
        else send(res, status, { error: errorMessage(e) }, e instanceof HttpFailure ? e.headers : {});
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
    this.#events.stop();
    s.closeAllConnections();
    return new Promise((resolve) => s.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#authorize(req);
    const url = new URL(req.url ?? "/", "http://receiver");
    const path = url.pathname;
    const store = this.#deps.store;
    if (req.method === "GET") {
      if (this.#assets.serve(path, res)) return;
      if (path === "/api/alerts") return send(res, 200, await store.openAlerts());
      if (path === "/api/homes") return send(res, 200, await store.listGateways());
      if (path === "/api/events") return this.#events.attach(res);
      const file = new RegExp(`^/api/homes/${HOME}/(summaries|alerts|commissioning)$`).exec(path);
      if (file?.[2] === "alerts") return send(res, 200, await store.homeAlerts(file[1] as string, 200));
      if (file?.[2] === "commissioning")
        return send(res, 200, await store.commissioningReports(file[1] as string));
      if (file) {
        const from = url.searchParams.get("from") ?? "";
        const to = url.searchParams.get("to") ?? "";
        if (!DATE.test(from) || !DATE.test(to)) throw new HttpFailure(400, '"from", "to": dates, YYYY-MM-DD');
        return send(res, 200, await store.summaries(file[1] as string, from, to));
      }
      throw new HttpFailure(404, "not found");
    }
    if (req.method !== "POST") throw new HttpFailure(405, "method not allowed", { allow: "GET, POST" });
    refuseCrossSite(req);
    const ack = /^\/api\/alerts\/([^/]{1,128})\/ack$/.exec(path);
    if (ack) {
      const body = await jsonBody(req);
      const by =
        typeof body.by === "string" && body.by.length > 0 && body.by.length <= 200 ? body.by : undefined;
      const note = typeof body.note === "string" && body.note !== "" ? body.note.slice(0, 1000) : undefined;
      if (!by) throw new HttpFailure(400, '"by": who acknowledges, 1 to 200 characters');
      let alert: string;
      try {
        alert = decodeURIComponent(ack[1] as string);
      } catch {
        throw new HttpFailure(400, "the alert id in the path is not valid percent-encoding");
      }
      const done = await this.#deps.ack(alert, by, note);
      return done
        ? send(res, 200, { acknowledged: true })
        : send(res, 409, { error: "not an open, unacknowledged alert" });
    }
    const watch = new RegExp(`^/api/homes/${HOME}/watch$`).exec(path);
    if (watch || path === "/api/watch") {
      const body = await jsonBody(req);
      const { level, until } = this.#watchLevel(body);
      const homes = watch ? [watch[1] as string] : await this.#homesOf(body.homes);
      for (const home of homes) await this.#deps.watch(home, level, until);
      return send(res, 200, { level, ...(until ? { until } : {}), ...(watch ? {} : { homes }) });
    }
    throw new HttpFailure(404, "not found");
  }

  #watchLevel(body: Record<string, unknown>): { level: string; until: string | undefined } {
    const level = String(body.level);
    const until = typeof body.until === "string" && body.until !== "" ? body.until : undefined;
    if (!(WATCH_LEVELS as readonly string[]).includes(level))
      throw new HttpFailure(400, `"level": one of ${WATCH_LEVELS.join(", ")}`);
    if (level === "away" && !until) throw new HttpFailure(400, '"until" is required for away');
    if (until !== undefined) {
      const t = Date.parse(until);
      const now = this.#deps.now();
      if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(until) || Number.isNaN(t))
        throw new HttpFailure(
          400,
          `"until": an ISO 8601 time with its offset, found ${JSON.stringify(until)}`,
        );
      if (t <= now || t > now + MAX_UNTIL_MS)
        throw new HttpFailure(400, `"until": in the future and at most 30 days ahead, found ${until}`);
    }
    return { level, until };
  }

  /** `"all"`: every home the store knows; else a list of home ids. */
  async #homesOf(v: unknown): Promise<string[]> {
    if (v === "all") return (await this.#deps.store.listGateways()).map((g) => g.home);
    const ok = (h: unknown): h is string => typeof h === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(h);
    if (Array.isArray(v) && v.length > 0 && v.length <= 10_000 && v.every(ok)) return v;
    throw new HttpFailure(400, '"homes": "all" or a list of home ids');
  }

  #authorize(req: IncomingMessage): void {
    const token = this.#o.token;
    if (token === undefined) return;
    const h = req.headers.authorization ?? "";
    let given = "";
    if (h.startsWith("Bearer ")) given = h.slice(7);
    else if (h.startsWith("Basic ")) {
      const pair = Buffer.from(h.slice(6), "base64").toString("utf8");
      given = pair.slice(pair.indexOf(":") + 1);
    }
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b))
      throw new HttpFailure(401, "unauthorized", {
        "www-authenticate": 'Basic realm="hearth receiver", charset="UTF-8"',
      });
  }
}

/**
 * Refuses a state-changing request a browser says came from elsewhere: `Sec-Fetch-Site` other than
 * same-origin (or none: typed by the user), or an `Origin` whose host is not this one. Programs send
 * neither header and pass; they still need the token.
 */
function refuseCrossSite(req: IncomingMessage): void {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none")
    throw new HttpFailure(403, `cross-site request refused (Sec-Fetch-Site: ${site})`);
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host === undefined || host !== req.headers.host)
    throw new HttpFailure(403, "cross-site request refused (Origin is not this server)");
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    "content-type": "application/json",
    "cache-control": "no-store",
  });
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
