import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from "mqtt";
import { startEmbeddedBroker } from "../../src/broker/embedded.js";
import { type Envelope, envelope } from "../../src/contract/messages.js";
import { haveTool, requireTool } from "./tools.js";
import { waitFor } from "./wait.js";

/** A broker a test runs on a free loopback port. */
export interface TestBroker {
  readonly url: string;
  readonly port: number;
  /** Stops the broker; the port stays ours for `restart`. */
  stop(): Promise<void>;
  /** Starts it again on the same port (in-memory state is gone, as after a real restart). */
  restart(): Promise<void>;
  /** Stops it for good and removes its files. */
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1, chosen by the system. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return address.port;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` now. */
function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Resolves once something accepts TCP connections on the port; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(`something to listen on 127.0.0.1:${port}`, () => accepts(port), {
    timeoutMs,
    intervalMs: 50,
  });
}

/** The embedded aedes broker (MQTT 3.1.1 only) on a free loopback port. */
export async function startAedes(): Promise<TestBroker> {
  let broker = await startEmbeddedBroker({ host: "127.0.0.1", port: 0 });
  const port = broker.port;
  let running = true;
  return {
    url: broker.url,
    port,
    async stop() {
      if (!running) return;
      running = false;
      await broker.close();
    },
    async restart() {
      if (running) await broker.close();
      broker = await startEmbeddedBroker({ host: "127.0.0.1", port });
      running = true;
    },
    async close() {
      running = false;
      await broker.close();
    },
  };
}

export const haveMosquitto = haveTool("mosquitto", ["-h"]);
const haveSetpriv = haveTool("setpriv", ["--version"]);

/** Whether Mosquitto tests run here; under CI=true a missing Mosquitto fails instead of skipping. */
export function mosquittoAvailable(): boolean {
  return requireTool("mosquitto", haveMosquitto, "install the Debian package: apt-get install -y mosquitto");
}

export interface MosquittoTls {
  ca: string;
  cert: string;
  key: string;
  requireClientCert: boolean;
}

/**
 * Mosquitto on a free loopback port with a generated config: anonymous, no persistence, optionally TLS
 * (and mutual TLS). Its log is kept for failure messages.
 */
export async function startMosquitto(
  opts: {
    tls?: MosquittoTls;
    /** more mosquitto.conf lines */
    extra?: string[];
    /** A port to listen on (a broker started again where clients expect it); default a free one. */
    port?: number;
  } = {},
): Promise<TestBroker & { log(): string }> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-mosquitto-"));
  const port = opts.port ?? (await freePort());
  const lines = [
    `listener ${port} 127.0.0.1`,
    "allow_anonymous true",
    "persistence false",
    // Mosquitto drops QoS 1 messages for a client more than 1,000 behind (its default): a test's
    // subscriber on a loaded machine falls that far behind a replay, and the loss would be the broker's.
    // Not 0 ("no limit"): Mosquitto 2.0.11 then stops acknowledging a client's QoS 1 publishes once its
    // ACL has denied one.
    "max_queued_messages 1000000",
    "log_dest stderr",
    "log_type error",
    "log_type warning",
    "log_type notice",
    // Started as root by the test: stay root so that the generated key files stay readable.
    "user root",
  ];
  if (opts.tls) {
    lines.push(`cafile ${opts.tls.ca}`, `certfile ${opts.tls.cert}`, `keyfile ${opts.tls.key}`);
    lines.push(`require_certificate ${opts.tls.requireClientCert ? "true" : "false"}`);
  }
  lines.push(...(opts.extra ?? []));
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(conf, `${lines.join("\n")}\n`);
  let log = "";
  let proc: ChildProcess | undefined;
  const launch = async () => {
    // setpriv (util-linux) execs mosquitto with a parent-death signal: if the test process dies without
    // close(), the kernel stops the broker too.
    const [cmd, args] = haveSetpriv
      ? ["setpriv", ["--pdeathsig", "SIGTERM", "mosquitto", "-c", conf]]
      : ["mosquitto", ["-c", conf]];
    const p = spawn(cmd as string, args as string[], { stdio: ["ignore", "ignore", "pipe"] });
    p.stderr?.on("data", (d: Buffer) => {
      log += d.toString();
    });
    proc = p;
    // Safety net: a run that ends without close() (a bench, a crashed test) leaves no broker behind.
    const reap = () => p.kill("SIGKILL");
    process.once("exit", reap);
    p.once("exit", () => process.off("exit", reap));
    const exited = new Promise<never>((_, reject) =>
      p.once("exit", (code) => reject(new Error(`mosquitto exited (${code}): ${log}`))),
    );
    exited.catch(() => {});
    await Promise.race([waitForPort(port), exited]);
  };
  const kill = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill("SIGTERM");
    });
  };
  await launch();
  const scheme = opts.tls ? "mqtts" : "mqtt";
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    stop: kill,
    async restart() {
      await kill();
      await launch();
    },
    async close() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => log,
  };
}

export interface Received {
  topic: string;
  retain: boolean;
  envelope: Envelope;
  packet: IPublishPacket;
}

/**
 * A test "cloud": subscribes, collects envelopes and validates each against contract v1. Anything that
 * does not validate lands in `invalid` (tests assert it stays empty).
 */
export interface TestSubscriber {
  readonly client: MqttClient;
  readonly messages: Received[];
  readonly invalid: { topic: string; payload: string; error: string }[];
  /** Resolves with the messages once `predicate` holds; rejects after `timeoutMs`. */
  waitFor(predicate: (msgs: readonly Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  /** Resolves once the client is connected and subscribed (again, after a broker restart). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export async function subscribe(
  url: string,
  filter: string,
  options: IClientOptions = {},
): Promise<TestSubscriber> {
  const client = connect(url, { reconnectPeriod: 100, connectTimeout: 5000, ...options });
  const messages: Received[] = [];
  const invalid: TestSubscriber["invalid"] = [];
  let subscribed = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  client.on("message", (topic, payload, packet) => {
    const text = payload.toString("utf8");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      invalid.push({ topic, payload: text, error: String(e) });
      wake();
      return;
    }
    const r = envelope.safeParse(parsed);
    if (!r.success) invalid.push({ topic, payload: text, error: r.error.message });
    else messages.push({ topic, retain: packet.retain, envelope: r.data as Envelope, packet });
    wake();
  });
  client.on("connect", () => {
    client.subscribe(filter, { qos: 1 }, (err) => {
      if (!err) {
        subscribed = true;
        wake();
      }
    });
  });
  client.on("close", () => {
    subscribed = false;
  });
  client.on("error", () => {});
  const until = (cond: () => boolean, timeoutMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      if (cond()) {
        resolve();
        return;
      }
      const check = () => {
        if (!cond()) return;
        clearTimeout(t);
        waiters.delete(check);
        resolve();
      };
      const t = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      waiters.add(check);
    });
  const sub: TestSubscriber = {
    client,
    messages,
    invalid,
    async waitFor(predicate, timeoutMs = 20_000) {
      await until(() => predicate(messages), timeoutMs, `messages (have ${messages.length})`);
      return messages;
    },
    ready: () => until(() => subscribed && client.connected, 20_000, "the subscription"),
    close: () => new Promise<void>((resolve) => client.end(true, {}, () => resolve())),
  };
  await sub.ready();
  return sub;
}

export interface TcpProxy {
  readonly port: number;
  /** Destroys every open connection on both sides, as a dropped network link would; keeps listening. */
  cut(): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy to `targetPort`, so a test can break a client's socket without touching it. */
export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ a: Socket; b: Socket }>();
  const server = createServer((a) => {
    const b = createConnection({ host: "127.0.0.1", port: targetPort });
    const pair = { a, b };
    pairs.add(pair);
    const drop = () => {
      a.destroy();
      b.destroy();
      pairs.delete(pair);
    };
    a.on("error", drop).on("close", drop);
    b.on("error", drop).on("close", drop);
    a.pipe(b);
    b.pipe(a);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  const cut = () => {
    for (const p of pairs) {
      p.a.destroy();
      p.b.destroy();
    }
    pairs.clear();
  };
  return {
    port: address.port,
    cut,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}
