import { readFileSync } from "node:fs";
import type { IClientOptions } from "mqtt";
import type { BrokerConfig } from "../config/schema.js";
import { DAY_MS, SECOND_MS } from "../core/time.js";

/** One day: a persistent session keeps commands sent to the gateway while it was offline. */
const SESSION_EXPIRY_S = DAY_MS / SECOND_MS;
const CONNECT_TIMEOUT_MS = 15 * SECOND_MS;
/**
 * MQTT 5 Maximum Packet Size announced in CONNECT: the largest packet the broker may send us. The
 * gateway only receives commands on its own `cmd/+` topics, and the largest valid command (an `ack`
 * with a 1,000-character note and a 200-character `by`) is under 2 KiB; 64 KiB leaves room for a
 * grown contract while a broker that honours it discards anything bigger instead of making us buffer
 * it (MQTT.js also drops the connection on a larger packet). It does not limit what we publish: that
 * is the broker's own maximum, and our envelopes are small JSON (a few KiB at most).
 */
export const MAX_PACKET_BYTES = 64 * 1024;

export interface ConnectParams {
  home: string;
  keepaliveMs: number;
  /** The retained "offline" status the broker publishes when the connection is lost. */
  willPayload: string;
  willTopic: string;
}

/**
 * The URL without user info, for logs and state. The user info ends at the *last* `@`: a password may
 * hold `@`, `:`, `/`, `?` or `#` unescaped, and then `new URL` alone would read part of it as the host,
 * port or path (`mqtt://u:123/x@host` parses as host `u`, port 123). So everything up to the last `@`
 * goes first, whatever it is; what is left is normalised by `new URL` when it parses, else shown as is
 * (it holds no `@`, so no user info).
 */
export function safeUrl(url: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url)?.[0] ?? "";
  const rest = url.slice(scheme.length);
  const hostPart = rest.slice(rest.lastIndexOf("@") + 1);
  if (scheme === "") return hostPart;
  try {
    const u = new URL(scheme + hostPart);
    u.username = "";
    u.password = "";
    return u.href;
  } catch {
    return scheme + hostPart;
  }
}

/** MQTT.js's own debug output asked for (`DEBUG=mqttjs*`, the `debug` package's switch). */
function mqttDebug(): boolean {
  return /mqttjs|\*/.test(process.env.DEBUG ?? "");
}

/**
 * MQTT.js's log when its debug output is off: its default (`debug`) gathers its arguments into an array
 * before it looks whether it is on, a dozen calls a packet: 11 KiB of garbage per press (docs/BENCHMARKS.md,
 * "press p99"), and the scavenges it brings land in a press's wait for its PUBACK.
 */
function quiet(): void {}

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
    // MQTT.js otherwise keeps 65,536 two-byte Buffers for packet ids and lengths: 6 MiB of heap, a
    // third of the agent's (docs/BENCHMARKS.md, Footprint). Making the two bytes per packet costs nothing.
    writeCache: false,
    ...(mqttDebug() ? {} : { log: quiet }),
    will: {
      topic: p.willTopic,
      payload: Buffer.from(p.willPayload),
      qos: 1,
      retain: true,
      ...(v5 ? { properties: { contentType: "application/json", payloadFormatIndicator: true } } : {}),
    },
  };
  if (v5) opts.properties = { sessionExpiryInterval: SESSION_EXPIRY_S, maximumPacketSize: MAX_PACKET_BYTES };
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
