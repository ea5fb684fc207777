import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { TestAlertProgress } from "../agent/test-alert.js";
import { controlRequest } from "../control/client.js";
import { errorMessage } from "../core/errors.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson } from "./io.js";
import { resolveSocket, type SocketOptions } from "./status.js";

/** How often the command asks the agent how far the test alert has got (the round trip's resolution). */
export const TEST_ALERT_POLL_MS = 100;

/** `no_subscribers`: the broker took the alert and said nobody subscribes to its topic (MQTT 5 only). */
export type Hop = "ok" | "failed" | "pending" | "timeout" | "not_reached" | "no_subscribers";

export interface TestAlertReport {
  ok: boolean;
  alert: string | null;
  hops: { control: Hop; outbox: Hop; broker: Hop; acknowledged: Hop };
  round_trip_ms: number | null;
  /** The first hop that did not answer, and why, in words. */
  broken?: { hop: "control" | "outbox" | "broker" | "acknowledged"; reason: string };
  uplink?: TestAlertProgress["uplink"];
}

/**
 * `hearth test-alert`: the running agent raises a `test` alert (control socket → pipeline → outbox →
 * broker); this waits until the cloud's `ack` has made it `acknowledged`, prints which hops answered
 * and the round trip as JSON, and exits 0, or 1 naming the hop where the chain broke.
 */
export async function testAlertCommand(opts: SocketOptions & { timeoutMs: number }): Promise<void> {
  finish(await runTestAlert(resolveSocket(opts), opts.timeoutMs));
}

/** The test alert's round trip through the agent at `socket` (also `hearth commission finish`'s). */
export async function runTestAlert(socket: string, timeoutMs: number): Promise<TestAlertReport> {
  const started = performance.now();
  let p: TestAlertProgress;
  try {
    p = (await controlRequest(socket, { cmd: "test_alert" })) as TestAlertProgress;
  } catch (e) {
    return {
      ok: false,
      alert: null,
      hops: { control: "failed", outbox: "not_reached", broker: "not_reached", acknowledged: "not_reached" },
      round_trip_ms: null,
      broken: { hop: "control", reason: errorMessage(e) },
    };
  }
  const deadline = started + timeoutMs;
  // "Nobody subscribed" ends the wait at once: the broker dropped the message, so no ack can come
  // for it (it goes out again only at the next connection).
  while (p.state !== "acknowledged" && p.noSubscribers === undefined && performance.now() < deadline) {
    await sleep(TEST_ALERT_POLL_MS);
    try {
      p = (await controlRequest(socket, { cmd: "test_alert_status", alert: p.alert })) as TestAlertProgress;
    } catch (e) {
      throw new CliExit(EXIT.failed, `hearth test-alert: lost the agent while waiting: ${errorMessage(e)}`);
    }
  }
  const roundTrip = Math.round(performance.now() - started);
  return report(p, roundTrip, timeoutMs);
}

/** The hops and, when the ack did not come, where the chain broke. */
export function report(p: TestAlertProgress, roundTripMs: number, timeoutMs: number): TestAlertReport {
  const acked = p.state === "acknowledged";
  const base = { alert: p.alert, uplink: p.uplink };
  if (acked)
    return {
      ok: true,
      ...base,
      hops: { control: "ok", outbox: "ok", broker: "ok", acknowledged: "ok" },
      round_trip_ms: roundTripMs,
    };
  const secs = `${Math.round(timeoutMs / 1000)} s`;
  if (!p.stored)
    return {
      ok: false,
      ...base,
      hops: { control: "ok", outbox: "failed", broker: "not_reached", acknowledged: "not_reached" },
      round_trip_ms: null,
      broken: { hop: "outbox", reason: "the agent has no record of the alert in its outbox" },
    };
  if (!p.published) {
    const why = p.uplink.connected
      ? `connected to ${p.uplink.broker ?? "the broker"}, but the broker did not take the alert within ${secs}`
      : `no broker connection${p.uplink.broker ? ` (trying ${p.uplink.broker}, ${p.uplink.attempts} attempts${p.uplink.lastError ? `: ${p.uplink.lastError}` : ""})` : ""}; the alert waits in the outbox`;
    return {
      ok: false,
      ...base,
      hops: { control: "ok", outbox: "ok", broker: "timeout", acknowledged: "not_reached" },
      round_trip_ms: null,
      broken: { hop: "broker", reason: why },
    };
  }
  if (p.noSubscribers !== undefined)
    return {
      ok: false,
      ...base,
      hops: { control: "ok", outbox: "ok", broker: "ok", acknowledged: "no_subscribers" },
      round_trip_ms: null,
      broken: {
        hop: "acknowledged",
        reason:
          `nobody subscribed: the broker said no subscription matches ${p.noSubscribers}; no receiver ` +
          "is connected for this home (or its subscription does not cover it); the alert stays open and " +
          "is sent again at the next connection",
      },
    };
  return {
    ok: false,
    ...base,
    hops: { control: "ok", outbox: "ok", broker: "ok", acknowledged: "timeout" },
    round_trip_ms: null,
    broken: {
      hop: "acknowledged",
      reason:
        `the broker took the alert but no acknowledgement came within ${secs}: the receiver is stopped ` +
        "or slow, its ack was refused (not signed with the key in cloud.commands), or (on MQTT 3.1.1, " +
        "which cannot say so) nobody subscribed to the home's alerts; the alert stays open and is sent " +
        "again until acknowledged",
    },
  };
}

function finish(r: TestAlertReport): void {
  printJson(r);
  if (!r.ok && r.broken)
    throw new CliExit(EXIT.failed, `hearth test-alert: ${r.broken.hop}: ${r.broken.reason}`);
}
