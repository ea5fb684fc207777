import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type MqttClient } from "mqtt";
import { freePort, waitForPort } from "../../helpers/brokers.js";
import { HEARTH_MAIN } from "../../helpers/cli.js";
import { waitFor } from "../../helpers/wait.js";
import { nowMs } from "./gateway.js";

/** Mosquitto for a fleet: unlimited connections and queues, $SYS every second; its pid for /proc. */
export async function startFleetBroker(inflight?: number): Promise<{
  url: string;
  pid: number;
  log(): string;
  close(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-fleet-mq-"));
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "max_connections -1",
      "allow_anonymous true",
      "persistence false",
      // Queue for a slow receiver instead of dropping (the default drops past 1000 per client): a
      // receiver pair that falls behind shows as a growing queue, which is what the run measures.
      "max_queued_messages 0",
      "sys_interval 1",
      // QoS 1 messages in flight to one client before its PUBACKs (Mosquitto's default is 20).
      ...(inflight === undefined ? [] : [`max_inflight_messages ${inflight}`]),
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      "user root",
    ].join("\n"),
  );
  let log = "";
  const p = spawn("mosquitto", ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  p.stderr?.on("data", (d: Buffer) => {
    if (log.length < 100_000) log += d.toString();
  });
  const reap = () => p.kill("SIGKILL");
  process.once("exit", reap);
  await waitForPort(port);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: p.pid as number,
    log: () => log,
    close: () =>
      new Promise<void>((resolve) => {
        process.off("exit", reap);
        p.once("exit", () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        p.kill("SIGTERM");
      }),
  };
}

/** Mosquitto's $SYS counters, latest value of each topic. */
export async function watchSys(url: string): Promise<{ sys: Map<string, number>; close(): Promise<void> }> {
  const sys = new Map<string, number>();
  const c: MqttClient = connect(url, { clientId: "fleet-sys", reconnectPeriod: 1000 });
  c.on("message", (topic, payload) => {
    const v = Number.parseFloat(payload.toString());
    if (Number.isFinite(v)) sys.set(topic.replace("$SYS/broker/", ""), v);
  });
  await new Promise<void>((resolve) => c.once("connect", () => resolve()));
  await c.subscribeAsync("$SYS/broker/#", { qos: 0 });
  return { sys, close: () => c.endAsync(true) };
}

/** The webhook's far end: the first arrival time of each Idempotency-Key, and how often one came again. */
export async function startHook(): Promise<{
  url: string;
  arrivals: Map<string, number>;
  stats: { posts: number; again: number };
  close(): Promise<void>;
}> {
  const arrivals = new Map<string, number>();
  const stats = { posts: 0, again: 0 };
  const server = createServer((req, res) => {
    const at = nowMs();
    req.resume();
    req.on("end", () => {
      stats.posts += 1;
      const key = String(req.headers["idempotency-key"] ?? "");
      if (arrivals.has(key)) stats.again += 1;
      else arrivals.set(key, at);
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    arrivals,
    stats,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A `hearth receiver` child process; its decision lines counted by kind, its warnings kept. */
export interface ReceiverProc {
  pid: number;
  decisions: Map<string, number>;
  warnings: string[];
  stop(): Promise<number | null>;
}

export async function startReceiverProc(args: string[]): Promise<ReceiverProc> {
  const child: ChildProcess = spawn(process.execPath, [HEARTH_MAIN, "receiver", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HEARTH_LOG_LEVEL: "info" },
  });
  const decisions = new Map<string, number>();
  const warnings: string[] = [];
  let started = false;
  const lines = (stream: NodeJS.ReadableStream, each: (line: string) => void) => {
    let buf = "";
    stream.on("data", (d: Buffer) => {
      buf += d.toString();
      let i = buf.indexOf("\n");
      while (i >= 0) {
        each(buf.slice(0, i));
        buf = buf.slice(i + 1);
        i = buf.indexOf("\n");
      }
    });
  };
  lines(child.stdout as NodeJS.ReadableStream, (l) => {
    const m = /"decision":"([a-z_]+)"/.exec(l);
    if (m?.[1]) decisions.set(m[1], (decisions.get(m[1]) ?? 0) + 1);
  });
  lines(child.stderr as NodeJS.ReadableStream, (l) => {
    if (l.includes("Receiver started")) started = true;
    const level = Number(/"level":(\d+)/.exec(l)?.[1] ?? 0);
    if (level >= 40 && warnings.length < 200) warnings.push(l.slice(0, 400));
  });
  const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  await waitFor("the receiver to start", () => started || child.exitCode !== null, { timeoutMs: 60_000 });
  if (!started) throw new Error(`hearth receiver did not start: ${warnings.join("\n")}`);
  return {
    pid: child.pid as number,
    decisions,
    warnings,
    stop: () => {
      process.off("exit", reap);
      child.kill("SIGTERM");
      return exited;
    },
  };
}
