import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type MqttClient } from "mqtt";
import { startMosquitto, type TestBroker } from "../../helpers/brokers.js";
import { waitFor } from "../../helpers/wait.js";

/**
 * The fault suite's cloud: Mosquitto that keeps its sessions across its own restarts (persistence on,
 * saved at each stop, no cap on queued messages), and one QoS 1 subscriber with a persistent session
 * that records every delivery, duplicates included. What a restart of the broker or of the subscriber
 * queues is delivered later, so "not delivered" means the agent never got it to the broker.
 */
export interface FaultCloud {
  readonly broker: TestBroker & { log(): string };
  readonly url: string;
  /** Every delivery of a message with an id, in arrival order, per id. */
  readonly deliveries: Map<string, Delivery[]>;
  /** Payloads that were not JSON envelopes with an id (the test asserts there are none). */
  readonly unreadable: string[];
  /** Deliveries of one message type (alert, event, telemetry, status, reply, summary). */
  idsOfType(type: string): Set<string>;
  /** Publishes as the backend would (QoS 1), e.g. a command on `hearth/v1/<home>/cmd/<name>`. */
  publish(topic: string, payload: string | Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface Delivery {
  type: string;
  topic: string;
  /** seq is absent on status and replies. */
  seq?: number;
  /** The per-lane sequence number (stored types only). */
  laneSeq?: number;
  ts: string;
  body: Record<string, unknown>;
  /** How many times the scenario had restarted the broker when this arrived (0: its first life). */
  brokerLife: number;
}

export async function startFaultCloud(home: string): Promise<FaultCloud> {
  const store = mkdtempSync(join(tmpdir(), "hearth-faults-mosq-"));
  const broker = await startMosquitto({
    extra: [
      // Later lines win over startMosquitto's `persistence false`.
      "persistence true",
      `persistence_location ${store}/`,
      "autosave_interval 1",
      "max_queued_messages 0",
      "max_inflight_messages 0",
    ],
  });
  const deliveries = new Map<string, Delivery[]>();
  let brokerLife = 0;
  const restart = broker.restart.bind(broker);
  broker.restart = async () => {
    brokerLife++;
    await restart();
  };
  const unreadable: string[] = [];
  const client: MqttClient = connect(broker.url, {
    clientId: `faults-cloud-${process.pid}-${home}`,
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 3600 },
    reconnectPeriod: 100,
    connectTimeout: 5000,
  });
  client.on("error", () => undefined);
  let subscribed = false;
  client.on("connect", (ack) => {
    if (ack.sessionPresent) subscribed = true;
    else
      client.subscribe(`hearth/v1/${home}/#`, { qos: 1 }, (err) => {
        if (!err) subscribed = true;
      });
  });
  client.on("message", (topic, payload) => {
    const text = payload.toString("utf8");
    let parsed: {
      id?: unknown;
      type?: unknown;
      seq?: unknown;
      lane_seq?: unknown;
      ts?: unknown;
      body?: unknown;
    };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // A scenario may publish garbage on cmd/ topics itself; only the agent's own messages count.
      if (!topic.includes("/cmd/")) unreadable.push(`${topic}: ${text.slice(0, 200)}`);
      return;
    }
    if (typeof parsed.id !== "string") {
      // Commands the scenario publishes itself come back on cmd/ topics; they are not the agent's.
      if (!topic.includes("/cmd/")) unreadable.push(`${topic}: ${text.slice(0, 200)}`);
      return;
    }
    const type = typeof parsed.type === "string" ? parsed.type : (topic.split("/").at(-1) ?? "");
    const d: Delivery = {
      type,
      topic,
      brokerLife,
      ts: String(parsed.ts),
      body: (parsed.body ?? {}) as Record<string, unknown>,
      ...(typeof parsed.seq === "number" ? { seq: parsed.seq } : {}),
      ...(typeof parsed.lane_seq === "number" ? { laneSeq: parsed.lane_seq } : {}),
    };
    const list = deliveries.get(parsed.id);
    if (list) list.push(d);
    else deliveries.set(parsed.id, [d]);
  });
  await waitFor("the fault cloud's subscription", () => subscribed && client.connected, {
    timeoutMs: 20_000,
  });
  return {
    broker,
    url: broker.url,
    deliveries,
    unreadable,
    idsOfType(type) {
      const ids = new Set<string>();
      for (const [id, list] of deliveries) if (list[0]?.type === type) ids.add(id);
      return ids;
    },
    async publish(topic, payload) {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
    async close() {
      await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
      await broker.close();
      rmSync(store, { recursive: true, force: true });
    },
  };
}
