import type { BrokerConfig } from "../config/schema.js";
import { commandFilter } from "../contract/topics.js";
import { errorMessage } from "../core/errors.js";
import { connectMqtt } from "../core/mqtt-connect.js";
import { SECOND_MS } from "../core/time.js";
import { clientOptions, safeUrl } from "./connect-options.js";

export interface BrokerCheck {
  ok: boolean;
  /** What was done, or where it failed. */
  detail: string;
  tls: boolean;
}

const CHECK_TIMEOUT_MS = 10 * SECOND_MS;

/**
 * The installer's broker check (`hearth doctor`, `hearth provision`): connect with the home's TLS
 * files and subscribe to its command topics, then hang up. With a client id and a clean session of
 * its own, so it never takes over the running agent's session, nor swallows commands queued for it;
 * no last will, so the cloud never hears "offline" from it.
 */
export async function checkBroker(broker: BrokerConfig, home: string, timeoutMs = CHECK_TIMEOUT_MS) {
  const tls = /^(mqtts|ssl|tls):/.test(broker.url);
  const url = safeUrl(broker.url);
  let opts: ReturnType<typeof clientOptions>;
  try {
    opts = clientOptions(broker, { home, keepaliveMs: 30 * SECOND_MS, willPayload: "", willTopic: "" });
  } catch (e) {
    return { ok: false, tls, detail: `cannot read a TLS file: ${errorMessage(e)}` };
  }
  delete opts.will;
  opts.clientId = `${broker.client_id ?? `hearth-${home}`}-check-${process.pid}-${Date.now() % 100000}`;
  opts.clean = true;
  opts.connectTimeout = timeoutMs;
  if (opts.protocolVersion === 5) opts.properties = { ...opts.properties, sessionExpiryInterval: 0 };
  const client = connectMqtt(broker.url, opts);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
      client.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      client.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      client.once("close", () => {
        clearTimeout(timer);
        reject(new Error("connection closed before CONNACK"));
      });
    });
    const filter = commandFilter(home);
    const granted = await client.subscribeAsync(filter, { qos: 1 });
    const refused = granted.some((g) => g.qos === 128 || g.qos > 2);
    if (refused)
      return {
        ok: false,
        tls,
        detail: `${url}: connected, but the broker refused the subscription to ${filter}`,
      };
    return {
      ok: true,
      tls,
      detail: `${url}: ${tls ? "TLS handshake, " : ""}connected, subscribed to ${filter}`,
    } satisfies BrokerCheck;
  } catch (e) {
    return { ok: false, tls, detail: `${url}: ${errorMessage(e)}` } satisfies BrokerCheck;
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}
