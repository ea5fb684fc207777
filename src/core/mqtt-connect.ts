import { createRequire } from "node:module";
import type { IClientOptions, MqttClient } from "mqtt";
import { ErrorCode, HearthError } from "./errors.js";

/**
 * MQTT.js's client over TCP or TLS, without MQTT.js's `connect`: that one loads every transport it
 * knows (WebSocket with Node's http, https and zlib, and more), which a gateway that speaks only
 * mqtt:// and mqtts:// (the config's URL pattern) pays for in memory (docs/BENCHMARKS.md, Footprint).
 * What it does with a tcp or tls URL is done here the same way: host, port and protocol from the URL,
 * and TLS when the URL says so.
 */
const SCHEMES: Readonly<Record<string, "tcp" | "tls">> = {
  "mqtt:": "tcp",
  "tcp:": "tcp",
  "mqtts:": "tls",
  "ssl:": "tls",
  "tls:": "tls",
};

// Node's own require for these CommonJS modules: ESM interop hands their `default` over differently
// under Node and under the test runner's transform; require is the same under both.
const require = createRequire(import.meta.url);
const MqttClientClass = (require("mqtt/lib/client") as typeof import("mqtt/lib/client")).default;
const buildTcp = (require("mqtt/lib/connect/tcp") as typeof import("mqtt/lib/connect/tcp")).default;
const buildTls = (require("mqtt/lib/connect/tls") as typeof import("mqtt/lib/connect/tls")).default;

export function connectMqtt(brokerUrl: string, options: IClientOptions): MqttClient {
  let url: URL;
  try {
    url = new URL(brokerUrl);
  } catch {
    throw new HearthError(`broker URL "${brokerUrl}" is not a URL`, ErrorCode.ConfigInvalid, {
      url: brokerUrl,
    });
  }
  let transport = SCHEMES[url.protocol];
  if (!transport)
    throw new HearthError(
      `broker URL "${brokerUrl}": only mqtt://, mqtts://, tcp://, ssl:// and tls:// are spoken`,
      ErrorCode.ConfigInvalid,
      { url: brokerUrl },
    );
  // MQTT.js's rule too: a client certificate and key turn a plain scheme into TLS.
  if (transport === "tcp" && options.cert !== undefined && options.key !== undefined) transport = "tls";
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const opts: IClientOptions = {
    ...options,
    protocol: transport === "tls" ? "mqtts" : "mqtt",
    host,
    hostname: host,
    ...(url.port !== "" ? { port: Number(url.port) } : {}),
  };
  if (opts.username === undefined && url.username !== "") opts.username = decodeURIComponent(url.username);
  if (opts.password === undefined && url.password !== "") opts.password = decodeURIComponent(url.password);
  const build = transport === "tls" ? buildTls : buildTcp;
  // MQTT.js calls the builder with the client alone (its own connect closes over the options too).
  const client = new MqttClientClass((c) => build(c, opts), opts);
  // As MQTT.js's connect does: an error with no listener yet must not throw from the emitter.
  client.on("error", () => undefined);
  return client;
}
