import { readFileSync } from "node:fs";
import type { IClientOptions } from "mqtt";
import type { BrokerConfig } from "../config/schema.js";
import { DAY_MS, SECOND_MS } from "../core/time.js";

/** One day: a persistent session keeps commands sent to the gateway while it was offline. */
const SESSION_EXPIRY_S = DAY_MS / SECOND_MS;
const CONNECT_TIMEOUT_MS = 15 * SECOND_MS;

export interface ConnectParams {
  home: string;
  keepaliveMs: number;
  /** The retained "offline" status the broker publishes when the connection is lost. */
  willPayload: string;
  willTopic: string;
}

/** The URL without user info, for logs and state. */
export function safeUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//");
}

/**
 * MQTT.js options for one broker. Reads TLS files now (they may have been replaced since the last try);
 * throws when one cannot be read. Reconnection is ours: `reconnectPeriod` is 0.
 */
export function clientOptions(broker: BrokerConfig, p: ConnectParams): IClientOptions {
  const v5 = broker.mqtt_version === "5";
  const opts: IClientOptions = {
    protocolVersion: v5 ? 5 : 4,
    clientId: broker.client_id ?? `hearth-${p.home}`,
    clean: false,
    keepalive: Math.max(1, Math.round(p.keepaliveMs / SECOND_MS)),
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    resubscribe: false,
    queueQoSZero: false,
    will: {
      topic: p.willTopic,
      payload: Buffer.from(p.willPayload),
      qos: 1,
      retain: true,
      ...(v5 ? { properties: { contentType: "application/json", payloadFormatIndicator: true } } : {}),
    },
  };
  if (v5) opts.properties = { sessionExpiryInterval: SESSION_EXPIRY_S };
  if (broker.username !== undefined) opts.username = broker.username;
  if (broker.password !== undefined) opts.password = broker.password;
  const tls = broker.tls;
  if (tls) {
    if (tls.ca) opts.ca = readFileSync(tls.ca);
    if (tls.cert) opts.cert = readFileSync(tls.cert);
    if (tls.key) opts.key = readFileSync(tls.key);
    opts.rejectUnauthorized = tls.reject_unauthorized;
    if (tls.servername) opts.servername = tls.servername;
  }
  return opts;
}
