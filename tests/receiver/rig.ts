import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type MqttClient } from "mqtt";
import { verifyCommand } from "../../src/contract/command-signing.js";
import { topicFor } from "../../src/contract/topics.js";
import { SystemClock } from "../../src/core/clock.js";
import { parsePublicKey } from "../../src/core/ed25519-keys.js";
import { silentLogger } from "../../src/core/log.js";
import { Receiver, type ReceiverOptions } from "../../src/receiver/receiver.js";
import { PostgresStore } from "../../src/receiver/store/postgres.js";
import { SqliteStore } from "../../src/receiver/store/sqlite.js";
import type { ReceiverStore } from "../../src/receiver/store/types.js";
import { TEST_CLOUD_KEY, TEST_CLOUD_PUBLIC_PEM } from "../helpers/commands.js";
import { waitFor } from "../helpers/wait.js";

export type Line = Record<string, unknown> & { decision: string };

/** A receiver in this process, its decision lines collected. */
export interface TestReceiver {
  receiver: Receiver;
  store: ReceiverStore;
  lines: Line[];
  stop(): Promise<void>;
}

export function receiverOptions(brokerUrl: string, over: Partial<ReceiverOptions> = {}): ReceiverOptions {
  return {
    brokers: [brokerUrl],
    group: "test-group",
    ack: "auto",
    key: TEST_CLOUD_KEY,
    ackBy: "test-receiver",
    commandTtlMs: 5 * 60_000,
    // Long unless a test is about silence: no test but that one sees a gateway go silent.
    heartbeatAllowanceMs: 3_600_000,
    sweepMs: 100,
    gapGraceMs: 0,
    webhookPollMs: 100,
    webhookRetryInitialMs: 50,
    webhookRetryMaxMs: 200,
    webhookTimeoutMs: 5_000,
    reconnectMs: 100,
    ...over,
  };
}

export async function startReceiver(opts: ReceiverOptions, store: ReceiverStore): Promise<TestReceiver> {
  const lines: Line[] = [];
  const receiver = new Receiver(opts, {
    store,
    clock: new SystemClock(),
    log: silentLogger(),
    decisions: (l) => lines.push(l as Line),
  });
  await receiver.start();
  return {
    receiver,
    store,
    lines,
    stop: async () => {
      await receiver.stop();
      await store.close();
    },
  };
}

/** A store for one test: a SQLite file in a temp dir, or a fresh PostgreSQL database. */
export function sqliteStoreFactory(): { make(): ReceiverStore; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "hearth-rx-"));
  const path = join(dir, "rx.db");
  return { make: () => new SqliteStore(path), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function postgresStore(url: string): ReceiverStore {
  return new PostgresStore(url, 4);
}

export const decisions = (rs: readonly TestReceiver[], name: string): Line[] =>
  rs.flatMap((r) => r.lines.filter((l) => l.decision === name));

export async function waitDecision(
  rs: readonly TestReceiver[],
  name: string,
  pred: (l: Line) => boolean = () => true,
  count = 1,
): Promise<Line[]> {
  await waitFor(`${count} × ${name}`, () => decisions(rs, name).filter(pred).length >= count, {
    timeoutMs: 30_000,
    detail: () => rs.flatMap((r) => r.lines).slice(-10),
  });
  return decisions(rs, name).filter(pred);
}

/**
 * A stand-in gateway: an MQTT client publishing contract messages (the golden messages' shapes) for
 * one home, with the retained offline status of its session as its last will. It also records the
 * commands the receiver sends it and checks their signatures with the test key.
 */
export class FakeGateway {
  readonly home: string;
  readonly session: number;
  readonly client: MqttClient;
  readonly commands: { name: string; command: Record<string, unknown>; verified: boolean }[] = [];
  seq = 100;

  private constructor(home: string, session: number, client: MqttClient) {
    this.home = home;
    this.session = session;
    this.client = client;
  }

  static async start(url: string, home: string, session: number): Promise<FakeGateway> {
    const will = {
      topic: topicFor(home, "status"),
      payload: Buffer.from(
        JSON.stringify(statusEnv(home, 0, "offline", session, { reason: "connection lost" })),
      ),
      qos: 1 as const,
      retain: true,
    };
    const client = connect(url, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      will,
      clientId: `gw-${home}-${session}`,
    });
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
    const gw = new FakeGateway(home, session, client);
    const key = parsePublicKey(TEST_CLOUD_PUBLIC_PEM);
    client.on("message", (topic, payload) => {
      const command = JSON.parse(payload.toString()) as Record<string, unknown>;
      gw.commands.push({
        name: topic.split("/").pop() as string,
        command,
        verified: verifyCommand(topic, command, [key]),
      });
    });
    await client.subscribeAsync(`hearth/v1/${home}/cmd/+`, { qos: 1 });
    return gw;
  }

  publish(env: Record<string, unknown>, retain = false): Promise<void> {
    return this.client
      .publishAsync(topicFor(this.home, env.type as "alert"), JSON.stringify(env), { qos: 1, retain })
      .then(() => undefined);
  }

  alert(
    alert: string,
    state: string,
    laneSeq: number,
    kind = "call",
    seq = this.seq++,
  ): Record<string, unknown> {
    return {
      v: 1,
      id: randomUUID(),
      home: this.home,
      seq,
      lane_seq: laneSeq,
      ts: "2026-03-01T14:32:00.000+08:00",
      clock: "synced",
      type: "alert",
      body: {
        alert,
        kind,
        state,
        device: "button-1",
        since: "2026-03-01T14:32:00.000+08:00",
        evidence: { button: "press" },
      },
    };
  }

  online(
    o: { drained?: boolean; laneSeq?: { alert: number; event: number; telemetry: number } } = {},
  ): Promise<void> {
    return this.publish(statusEnv(this.home, this.seq, "online", this.session, o), true);
  }

  /** Drops the TCP connection without DISCONNECT, as a SIGKILL would: the broker publishes the will. */
  kill(): void {
    this.client.stream.destroy();
    this.client.end(true);
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

export function statusEnv(
  home: string,
  seq: number,
  state: "online" | "offline",
  session: number,
  o: {
    reason?: string;
    drained?: boolean;
    laneSeq?: { alert: number; event: number; telemetry: number };
  } = {},
): Record<string, unknown> {
  return {
    v: 1,
    id: randomUUID(),
    home,
    seq,
    ts: "2026-03-01T14:32:00.000+08:00",
    clock: "synced",
    type: "status",
    body: {
      state,
      version: "0.1.0",
      session,
      ...(o.reason ? { reason: o.reason } : {}),
      ...(state === "online"
        ? {
            health: {
              uptime_s: 5,
              replay_drained: o.drained ?? false,
              ...(o.laneSeq ? { lane_seq: o.laneSeq } : {}),
            },
          }
        : {}),
    },
  };
}

/** A webhook endpoint: answers each POST with the next status of `statuses` (the last one repeats). */
export async function startWebhook(statuses: number[]): Promise<{
  url: string;
  requests: { headers: IncomingMessage["headers"]; body: string; status: number }[];
  close(): Promise<void>;
}> {
  const requests: { headers: IncomingMessage["headers"]; body: string; status: number }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const status = statuses[Math.min(requests.length, statuses.length - 1)] ?? 200;
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
