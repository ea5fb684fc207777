import type { IClientOptions, MqttClient } from "mqtt";
import type { BrokerConfig } from "../config/schema.js";
import type { MessageType, ReplyBody, StatusBody } from "../contract/messages.js";
import type { LaneSeqs, StoredMessage } from "../contract/stored.js";
import type { Clock } from "../core/clock.js";
import type { IdSource } from "../core/ids.js";
import type { Logger } from "../core/log.js";

/**
 * The outbox port: what the uplink needs from the outbox, and nothing more. The SqliteOutbox satisfies
 * it as it is; the uplink never imports the outbox.
 */
export interface UplinkSource {
  pending(limit: number): StoredMessage[];
  /** Called only after the broker's PUBACK. */
  markDelivered(seqs: readonly number[]): void;
  /**
   * Telemetry's marks, after the PUBACK: the source may write them with a later commit (a kill before
   * then costs a duplicate with the same id). Without it, `markDelivered` at once.
   */
  markDeliveredLater?(seqs: readonly number[]): void;
  /**
   * Everything pending at connect has been acknowledged: the source may now do the housekeeping it put
   * off while the replay ran (the WAL checkpoint its marks skipped). Called off the drain's pass.
   */
  settle?(): unknown;
  openAlerts(): StoredMessage[];
  onWrite(listener: () => void): () => void;
  lastSeq(): number;
  /** The latest lane_seq per lane, for the heartbeat. */
  laneSeqs(): LaneSeqs;
}

/**
 * Handles one command (`name` from the topic, raw payload). Resolves to the reply to publish, or undefined
 * for none. It may reject: the uplink answers with an error reply and carries on.
 */
export type CommandHandler = (name: string, payload: Buffer) => Promise<ReplyBody | undefined>;

/** MQTT.js's `connect`, or a fake that hands out a test client. */
export type ConnectFn = (brokerUrl: string, options: IClientOptions) => MqttClient;

export interface UplinkOptions {
  home: string;
  timeZone: string;
  /** Tried in order; on failure the next one. */
  brokers: readonly BrokerConfig[];
  keepaliveMs: number;
  heartbeatMs: number;
  /** Messages per second from the outbox; Infinity = unbounded. */
  replayRate: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** For back-off, heartbeat and the replay rate. */
  clock: Clock;
  ids: IdSource;
  /** Agent version, in status messages. */
  version: string;
  source: UplinkSource;
  onCommand: CommandHandler;
  health: () => StatusBody["health"];
  /**
   * Takes the next connection session number and keeps it (the agent: persistedSessions on the outbox's
   * kv). Without it the numbers start at 1 each run. May throw: the uplink goes on from memory.
   */
  session?: () => number;
  /** The home's watch level, reported in every online status (heartbeat included). */
  watch?: () => StatusBody["watch"];
  log: Logger;
  /** Jitter source, [0, 1); default Math.random. */
  random?: () => number;
  /** Opens an MQTT client; default MQTT.js's `connect`. Tests hand in fakes to run without a socket. */
  connect?: ConnectFn;
}

export interface UplinkState {
  connected: boolean;
  /** URL of the broker connected to (or being tried), credentials removed. */
  broker?: string;
  /** Consecutive failed connection attempts; 0 once connected. */
  attempts: number;
  lastError?: string;
  /** Outbox messages published and not yet acknowledged on this connection. */
  inFlight: number;
  /** Outbox messages acknowledged by a broker since start. */
  published: number;
}

export interface UplinkEvents {
  connected: [url: string];
  disconnected: [reason: string];
  /** Rows of the outbox marked delivered (after their PUBACKs), `count` at a time. */
  delivered: [count: number];
  /** One outbox row's PUBACK arrived: emitted as it is handled, before the row is marked delivered. */
  acked: [seq: number, type: MessageType];
}
