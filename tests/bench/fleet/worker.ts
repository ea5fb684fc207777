import { readFileSync } from "node:fs";
import { parsePublicKey } from "../../../src/core/ed25519-keys.js";
import { type GatewayObserver, type GatewayPlan, nowMs, SimGateway } from "./gateway.js";

/**
 * One process's share of the fleet: gateways `from`..`to`-1 on one scheduler. Run by run.ts as a child
 * process with an IPC channel; it reports counts every second and each raised alert with its time.
 */
export interface WorkerSetup {
  url: string;
  from: number;
  to: number;
  plan: GatewayPlan;
  publicKeyFile: string;
  /** Gateways that die during the run: [index, at ms after the start, down ms]. */
  deaths: [number, number, number][];
}

export interface WorkerCounts {
  published: Record<string, number>;
  brokerAcked: number;
  acked: number;
  refused: Record<string, number>;
  republished: number;
  up: number;
  openAlerts: number;
  reconnects: number;
}

export type WorkerMessage =
  | { t: "ready"; connectMs: number }
  | { t: "counts"; counts: WorkerCounts; raised: [string, number][]; ackMs: number[] }
  | { t: "error"; message: string };

export type ParentMessage = { t: "start" } | { t: "quiet" } | { t: "stop" };

const CONNECT_BATCH = 100;

export class FleetWorker {
  readonly #gateways: SimGateway[] = [];
  readonly #counts: WorkerCounts = {
    published: {},
    brokerAcked: 0,
    acked: 0,
    refused: {},
    republished: 0,
    up: 0,
    openAlerts: 0,
    reconnects: 0,
  };
  #raised: [string, number][] = [];
  #ackMs: number[] = [];
  #timer: NodeJS.Timeout | undefined;
  #deaths: [SimGateway, number, number][] = [];
  #t0 = 0;

  constructor(private readonly s: WorkerSetup) {
    const key = parsePublicKey(readFileSync(s.publicKeyFile, "utf8"));
    const c = this.#counts;
    const obs: GatewayObserver = {
      published: (type) => {
        c.published[type] = (c.published[type] ?? 0) + 1;
      },
      brokerAcked: () => {
        c.brokerAcked += 1;
      },
      alertRaised: (k, at) => {
        this.#raised.push([k, at]);
      },
      acked: (ms) => {
        c.acked += 1;
        this.#ackMs.push(ms);
      },
      refused: (r) => {
        c.refused[r] = (c.refused[r] ?? 0) + 1;
      },
      republished: () => {
        c.republished += 1;
      },
    };
    for (let i = s.from; i < s.to; i++)
      this.#gateways.push(new SimGateway(`home-${String(i).padStart(5, "0")}`, s.url, s.plan, key, obs));
  }

  /** Connects every gateway, CONNECT_BATCH at a time (a broker takes a storm of CONNECTs badly). */
  async connectAll(): Promise<number> {
    const t = nowMs();
    for (let i = 0; i < this.#gateways.length; i += CONNECT_BATCH)
      await Promise.all(this.#gateways.slice(i, i + CONNECT_BATCH).map((g) => g.connect()));
    return nowMs() - t;
  }

  start(): void {
    // The window counts from here: the online statuses of the connect phase are not in it.
    this.#counts.published = {};
    this.#counts.brokerAcked = 0;
    this.#t0 = nowMs();
    // Without this, whatever fell due while the fleet was connecting would go out at once: a burst
    // of several thousand messages that no real fleet sends.
    for (const g of this.#gateways) g.rephase(this.#t0);
    this.#deaths = this.s.deaths.map(([i, at, down]) => [
      this.#gateways[i - this.s.from] as SimGateway,
      at,
      down,
    ]);
    this.#timer = setInterval(() => this.#tick(), 50);
  }

  quiet(): void {
    for (const g of this.#gateways) g.quiet();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.#gateways.map((g) => g.close()));
  }

  /** What happened since the last call (alerts and ack times), and the running counts. */
  take(): Extract<WorkerMessage, { t: "counts" }> {
    let up = 0;
    let open = 0;
    for (const g of this.#gateways) {
      if (g.up) up++;
      open += g.openAlerts;
    }
    this.#counts.up = up;
    this.#counts.openAlerts = open;
    const m = {
      t: "counts" as const,
      counts: structuredClone(this.#counts),
      raised: this.#raised,
      ackMs: this.#ackMs,
    };
    this.#raised = [];
    this.#ackMs = [];
    return m;
  }

  #tick(): void {
    const now = nowMs();
    const since = now - this.#t0;
    this.#deaths = this.#deaths.filter(([g, at, down]) => {
      if (since < at) return true;
      if (g.up) g.kill(down);
      return false;
    });
    for (const g of this.#gateways) {
      if (g.tick(now)) this.#counts.reconnects += 1;
    }
  }
}

// Run as a child of run.ts: setup in HEARTH_FLEET_WORKER (JSON), orders over IPC.
if (process.env.HEARTH_FLEET_WORKER && process.send) {
  const send = (m: WorkerMessage) => process.send?.(m);
  const w = new FleetWorker(JSON.parse(process.env.HEARTH_FLEET_WORKER) as WorkerSetup);
  let report: NodeJS.Timeout | undefined;
  process.on("message", (m: ParentMessage) => {
    if (m.t === "start") {
      w.start();
      report = setInterval(() => send(w.take()), 1000);
    } else if (m.t === "quiet") w.quiet();
    else if (m.t === "stop") {
      clearInterval(report);
      send(w.take());
      void w.stop().finally(() => process.exit(0));
    }
  });
  process.on("disconnect", () => process.exit(0));
  w.connectAll().then(
    (ms) => send({ t: "ready", connectMs: ms }),
    (e: unknown) => send({ t: "error", message: String(e) }),
  );
}
