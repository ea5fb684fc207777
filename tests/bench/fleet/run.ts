/**
 * Fleet simulation (issue 11): N simulated gateways (real MQTT clients speaking contract v1) against
 * Mosquitto on loopback, two `hearth receiver` processes in one group on one PostgreSQL, a webhook
 * endpoint timing each alert from the gateway's publish to its delivery. On demand, not in CI:
 *
 *   npm run fleet -- --gateways 1000 --minutes 5
 *
 * Prints progress on stderr and the figures as JSON on stdout (and to --out). docs/BENCHMARKS.md
 * ("Fleet") says what each figure is.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { packageRoot } from "../../../src/core/paths.js";
import { TEST_CLOUD_KEY_FILE } from "../../helpers/commands.js";
import { postgresAvailable, startPostgres } from "../../helpers/postgres.js";
import { nowMs } from "./gateway.js";
import { startFleetBroker, startHook, startReceiverProc, watchSys } from "./infra.js";
import {
  findProcess,
  groupSample,
  keptUp,
  type ProcSample,
  procSample,
  quantile,
  withChildren,
} from "./metrics.js";
import type { ParentMessage, WorkerCounts, WorkerMessage, WorkerSetup } from "./worker.js";

const log = (msg: string) =>
  process.stderr.write(`[fleet ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function ms(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text} (e.g. 30s, 5m)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
}

const { values: a } = parseArgs({
  options: {
    gateways: { type: "string", default: "1000" },
    minutes: { type: "string", default: "5" },
    workers: { type: "string" },
    "telemetry-every": { type: "string", default: "30s" },
    "heartbeat-every": { type: "string", default: "5m" },
    "alert-every": { type: "string", default: "30m" },
    "event-every": { type: "string", default: "20m" },
    "republish-after": { type: "string", default: "60s" },
    /**
     * Divides every gateway rate's interval (telemetry, heartbeat, alerts, events) by this: 5,000
     * gateways at --scale 4 send the message mix of 20,000 at real rates, over 5,000 connections.
     * For raising the load only; the headline figures are at 1.
     */
    scale: { type: "string", default: "1" },
    /** Mosquitto's max_inflight_messages (default 20): QoS 1 messages sent to a client ahead of its PUBACKs. */
    "broker-inflight": { type: "string" },
    churn: { type: "string", default: "0.02" },
    drain: { type: "string", default: "60s" },
    out: { type: "string" },
  },
});
const N = Number(a.gateways);
const windowMs = Number(a.minutes) * 60_000;
const W = Number(a.workers ?? Math.max(1, Math.ceil(N / 2500)));
const scale = Number(a.scale);
const plan = {
  telemetryMs: ms(a["telemetry-every"]) / scale,
  heartbeatMs: ms(a["heartbeat-every"]) / scale,
  alertMeanMs: ms(a["alert-every"]) / scale,
  eventMeanMs: ms(a["event-every"]) / scale,
  republishMs: ms(a["republish-after"]),
};

const nofile = Number(/Max open files\s+(\d+)/.exec(readFileSync("/proc/self/limits", "utf8"))?.[1] ?? 0);
if (nofile < N + 1024) {
  log(
    `open files limit ${nofile} is too low for ${N} gateways: raise it with 'ulimit -n hard' (npm run fleet does) or, as root, a higher hard limit`,
  );
  process.exit(2);
}
if (!postgresAvailable()) {
  log("PostgreSQL is not installed (apt-get install -y postgresql)");
  process.exit(2);
}

// Ctrl-C or a kill: exit through process.exit so the exit handlers stop the broker, the receivers
// and PostgreSQL (a signal's default action would skip them).
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => process.exit(130));
const load0 = loadavg();
log(`${N} gateways in ${W} worker(s), ${a.minutes} min; load ${load0.map((l) => l.toFixed(2)).join(" ")}`);
const pgServer = await startPostgres();
const db = await pgServer.database("fleet");
const pgPort = Number(new URL(db).port);
const broker = await startFleetBroker(
  a["broker-inflight"] === undefined ? undefined : Number(a["broker-inflight"]),
);
const hook = await startHook();
const sys = await watchSys(broker.url);
/** Messages the broker holds for clients (queued or in flight): all it stores but the retained statuses. */
const backlog = () =>
  (sys.sys.get("store/messages/count") ?? 0) - (sys.sys.get("retained messages/count") ?? 0);
const rxArgs = [
  "--broker",
  broker.url,
  "--db",
  db,
  "--group",
  "fleet",
  "--ack",
  "auto",
  "--webhook",
  hook.url,
];
const receivers = [
  await startReceiverProc([...rxArgs, "--key", TEST_CLOUD_KEY_FILE]),
  await startReceiverProc([...rxArgs, "--key", TEST_CLOUD_KEY_FILE]),
];
const postmaster = findProcess(["postgres", `-p ${pgPort}`]);
log(
  `broker ${broker.url} (pid ${broker.pid}), receivers ${receivers.map((r) => r.pid).join(", ")}, postgres ${postmaster}`,
);

// A fraction of gateways die once during the window (socket dropped: the broker sends the will) and
// come back after 30 to 120 s with a new session.
const deaths: [number, number, number][] = [];
for (let i = 0; i < N; i++)
  if (Math.random() < Number(a.churn))
    deaths.push([i, Math.random() * windowMs * 0.8, 30_000 + Math.random() * 90_000]);

const viteNode = join(packageRoot(), "node_modules/vite-node/vite-node.mjs");
const workerFile = join(packageRoot(), "tests/bench/fleet/worker.ts");
interface WorkerState {
  proc: ChildProcess;
  ready: boolean;
  connectMs: number;
  counts: WorkerCounts | undefined;
}
const workers: WorkerState[] = [];
const raised = new Map<string, number>();
const ackMs: number[] = [];
for (let w = 0; w < W; w++) {
  const from = Math.floor((w * N) / W);
  const to = Math.floor(((w + 1) * N) / W);
  const setup: WorkerSetup = {
    url: broker.url,
    from,
    to,
    plan,
    publicKeyFile: join(packageRoot(), "tests/fixtures/keys/test-cloud.pub.pem"),
    deaths: deaths.filter(([i]) => i >= from && i < to),
  };
  const proc = spawn(process.execPath, [viteNode, workerFile], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, HEARTH_FLEET_WORKER: JSON.stringify(setup) },
  });
  process.once("exit", () => proc.kill("SIGKILL"));
  const st: WorkerState = { proc, ready: false, connectMs: 0, counts: undefined };
  proc.on("message", (m: WorkerMessage) => {
    if (m.t === "ready") {
      st.ready = true;
      st.connectMs = m.connectMs;
    } else if (m.t === "error") log(`worker ${w}: ${m.message}`);
    else {
      st.counts = m.counts;
      for (const [k, at] of m.raised) raised.set(k, at);
      ackMs.push(...m.ackMs);
    }
  });
  proc.once("exit", (code) => {
    if (!st.ready) log(`worker ${w} exited (${code}) before it was ready`);
  });
  workers.push(st);
}
const tConnect = nowMs();
while (!workers.every((w) => w.ready)) {
  if (workers.some((w) => w.proc.exitCode !== null)) throw new Error("a worker died while connecting");
  await new Promise((r) => setTimeout(r, 200));
}
log(`all ${N} connected in ${((nowMs() - tConnect) / 1000).toFixed(1)} s`);
// The window starts once the receivers have taken the online statuses of the connect storm (each
// status goes to both). The broker's backlog cannot show those (a retained message queued for a
// client is counted as retained), so: both receivers nearly idle (under 5 % of a core) for two
// 2-s intervals in a row, or 3 minutes at most.
const tSettle = nowMs();
const rxCpu = () => receivers.map((r) => procSample(r.pid)?.cpuMs ?? 0);
for (let calm = 0, before = rxCpu(); calm < 2 && nowMs() - tSettle < 180_000; ) {
  await new Promise((r) => setTimeout(r, 2000));
  const now = rxCpu();
  const busy = now.some((c, i) => c - (before[i] ?? 0) > 100);
  before = now;
  calm = !busy && backlog() <= Math.max(20, N / 200) ? calm + 1 : 0;
}
const settleS = (nowMs() - tSettle) / 1000;
log(`receivers settled ${settleS.toFixed(0)} s after the connect (broker backlog ${backlog()})`);

const order = (m: ParentMessage) => {
  for (const w of workers) w.proc.send(m);
};
const sum = (f: (c: WorkerCounts) => number) => workers.reduce((s, w) => s + (w.counts ? f(w.counts) : 0), 0);
const sent = () => sum((c) => Object.values(c.published).reduce((x, y) => x + y, 0));
const pids = {
  receiverA: receivers[0]?.pid as number,
  receiverB: receivers[1]?.pid as number,
  mosquitto: broker.pid,
  workers: workers.map((w) => w.proc.pid as number),
};
const cpuOf = () => ({
  receiverA: procSample(pids.receiverA),
  receiverB: procSample(pids.receiverB),
  mosquitto: procSample(pids.mosquitto),
  postgres: postmaster ? groupSample(withChildren(postmaster)) : undefined,
  fleet: groupSample(pids.workers),
});
const outstanding = () => {
  let n = 0;
  for (const k of raised.keys()) if (!hook.arrivals.has(k)) n++;
  return n;
};

const sys0 = new Map(sys.sys);
const cpu0 = cpuOf();
const t0 = nowMs();
order({ t: "start" });
const series: { t: number; sent: number; outstanding: number; backlog: number; load1: number }[] = [];
const sampler = setInterval(() => {
  const t = (nowMs() - t0) / 1000;
  const s = {
    t,
    sent: sent(),
    outstanding: outstanding(),
    backlog: backlog(),
    load1: loadavg()[0] as number,
  };
  series.push(s);
  if (series.length % 6 === 0)
    log(
      `t=${t.toFixed(0)}s sent=${s.sent} alerts raised=${raised.size} outstanding=${s.outstanding} broker backlog=${s.backlog} up=${sum((c) => c.up)} load=${s.load1.toFixed(2)}`,
    );
}, 5000);
await new Promise((r) => setTimeout(r, windowMs));
const tEnd = nowMs();
const cpu1 = cpuOf();
const sys1 = new Map(sys.sys);
const sentInWindow = sent();
const publishedByType = workers.reduce<Record<string, number>>((acc, w) => {
  for (const [k, v] of Object.entries(w.counts?.published ?? {})) acc[k] = (acc[k] ?? 0) + v;
  return acc;
}, {});
const raisedInWindow = new Map(raised);
const load1 = loadavg();
clearInterval(sampler);

// Drain: no new messages; wait until every alert raised in the window has been delivered.
order({ t: "quiet" });
const tQuiet = nowMs();
while (nowMs() - tQuiet < ms(a.drain)) {
  let left = 0;
  for (const k of raisedInWindow.keys()) if (!hook.arrivals.has(k)) left++;
  if (left === 0) break;
  await new Promise((r) => setTimeout(r, 250));
}
const drainMs = nowMs() - tQuiet;
const latencies: number[] = [];
for (const [k, at] of raisedInWindow) {
  const got = hook.arrivals.get(k);
  if (got !== undefined) latencies.push(got - at);
}
const undelivered = raisedInWindow.size - latencies.length;

const c = new pg.Client({ connectionString: db });
await c.connect();
const seen = await c.query<{ type: string; n: string }>(
  "SELECT type, count(*) AS n FROM messages_seen GROUP BY type",
);
const gwRows = await c.query<{ state: string; n: string }>(
  "SELECT state, count(*) AS n FROM gateways GROUP BY state",
);
await c.end();

const secs = (tEnd - t0) / 1000;
const rate = (k: string) => ((sys1.get(k) ?? 0) - (sys0.get(k) ?? 0)) / secs;
const cpuPct = (x: ProcSample | undefined, y: ProcSample | undefined) =>
  x && y ? Math.round(((y.cpuMs - x.cpuMs) / (secs * 1000)) * 1000) / 10 : undefined;
const mb = (kb: number | undefined) => (kb === undefined ? undefined : Math.round(kb / 102.4) / 10);
const decisions: Record<string, number> = {};
for (const r of receivers) for (const [k, v] of r.decisions) decisions[k] = (decisions[k] ?? 0) + v;
const backlogSeries = series.map((s): [number, number] => [s.t / 60, s.backlog]);
const alertSeries = series.map((s): [number, number] => [s.t / 60, s.outstanding]);
const perSecond = sentInWindow / secs;
const verdictBacklog = keptUp(backlogSeries, Math.max(50, perSecond * 2), Math.max(100, perSecond * 5));
const verdictAlerts = keptUp(
  alertSeries,
  Math.max(2, (raisedInWindow.size / secs) * 60 * 0.1),
  Math.max(5, raisedInWindow.size * 0.05),
);
const round = (x: number) => Math.round(x * 10) / 10;

const report = {
  gateways: N,
  workers: W,
  plan: { ...a, scale },
  window_s: round(secs),
  connect_s: round(Math.max(...workers.map((w) => w.connectMs)) / 1000),
  settle_s: round(settleS),
  load_avg: { before: load0.map(round), end_of_window: load1.map(round) },
  fleet: {
    published: publishedByType,
    published_per_s: round(perSecond),
    broker_acked: sum((x) => x.brokerAcked),
    republished_alerts: sum((x) => x.republished),
    acks_received: sum((x) => x.acked),
    commands_refused: workers.reduce<Record<string, number>>((acc, w) => {
      for (const [k, v] of Object.entries(w.counts?.refused ?? {})) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    }, {}),
    reconnects: sum((x) => x.reconnects),
    deaths: deaths.length,
  },
  broker: {
    publish_received_per_s: round(rate("publish/messages/received")),
    publish_sent_per_s: round(rate("publish/messages/sent")),
    dropped: (sys1.get("publish/messages/dropped") ?? 0) - (sys0.get("publish/messages/dropped") ?? 0),
    clients_connected: sys1.get("clients/connected"),
  },
  receivers: {
    decisions,
    messages_seen: Object.fromEntries(seen.rows.map((r) => [r.type, Number(r.n)])),
    gateways: Object.fromEntries(gwRows.rows.map((r) => [r.state, Number(r.n)])),
    warnings: receivers.map((r) => r.warnings.length),
    first_warnings: receivers.flatMap((r) => r.warnings.slice(0, 3)),
  },
  alerts: {
    raised: raisedInWindow.size,
    delivered: latencies.length,
    undelivered_after_drain: undelivered,
    drain_s: round(drainMs / 1000),
    latency_ms: {
      p50: round(quantile(latencies, 0.5)),
      p90: round(quantile(latencies, 0.9)),
      p99: round(quantile(latencies, 0.99)),
      max: round(quantile(latencies, 1)),
    },
    ack_at_gateway_ms: {
      n: ackMs.length,
      p50: round(quantile(ackMs, 0.5)),
      p99: round(quantile(ackMs, 0.99)),
    },
    /** Every latency, rounded to ms, in the order raised: to look at the shape, not only the quantiles. */
    samples_ms: latencies.map(Math.round),
    webhook_posts: hook.stats.posts,
    webhook_repeats: hook.stats.again,
  },
  cpu_pct: {
    receiverA: cpuPct(cpu0.receiverA, cpu1.receiverA),
    receiverB: cpuPct(cpu0.receiverB, cpu1.receiverB),
    mosquitto: cpuPct(cpu0.mosquitto, cpu1.mosquitto),
    postgres: cpuPct(cpu0.postgres, cpu1.postgres),
    fleet: cpuPct(cpu0.fleet, cpu1.fleet),
  },
  memory_mb: {
    receiverA: { rss: mb(cpu1.receiverA?.rssKb), hwm: mb(cpu1.receiverA?.hwmKb) },
    receiverB: { rss: mb(cpu1.receiverB?.rssKb), hwm: mb(cpu1.receiverB?.hwmKb) },
    mosquitto: { rss: mb(cpu1.mosquitto?.rssKb), hwm: mb(cpu1.mosquitto?.hwmKb) },
    postgres_sum: { rss: mb(cpu1.postgres?.rssKb) },
    fleet_sum: { rss: mb(cpu1.fleet?.rssKb) },
  },
  lag: {
    kept_up: verdictBacklog.keptUp && verdictAlerts.keptUp,
    broker_backlog: { ...verdictBacklog, max: Math.max(...series.map((s) => s.backlog)) },
    alerts_outstanding: { ...verdictAlerts, max: Math.max(...series.map((s) => s.outstanding)) },
    series: series.map((s) => [round(s.t), s.sent, s.outstanding, s.backlog, round(s.load1)]),
  },
};
const text = JSON.stringify(report, null, 2);
process.stdout.write(`${text}\n`);
if (a.out) writeFileSync(a.out, `${text}\n`);

order({ t: "stop" });
await Promise.all(
  workers.map((w) => new Promise((r) => (w.proc.exitCode !== null ? r(0) : w.proc.once("exit", r)))),
);
for (const r of receivers) await r.stop();
await sys.close();
await hook.close();
await broker.close();
await pgServer.stop();
log(`done; load ${loadavg().map(round).join(" ")}`);
process.exit(0);
