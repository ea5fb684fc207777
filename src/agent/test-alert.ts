import type { AlertState } from "../contract/messages.js";
import type { StoredMessage } from "../contract/stored.js";
import type { ControlHandler } from "../control/server.js";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { AlertStateInfo } from "../outbox/index.js";
import type { UplinkState } from "../uplink/index.js";

/** What the agent knows of one test alert's way out: `hearth test-alert` polls it over the control socket. */
export interface TestAlertProgress {
  alert: string;
  /** The alert's latest state in the outbox (undefined: the outbox has no record of it). */
  state: AlertState | undefined;
  /** The raised message is in the outbox. */
  stored: boolean;
  /** The raised message was taken by a broker (its PUBACK came; it is marked delivered). */
  published: boolean;
  /**
   * Set when the broker took the message saying no subscription matches: the topic it was published on.
   * Only an MQTT 5 broker says so; on 3.1.1 it is never set.
   */
  noSubscribers?: string;
  uplink: Pick<UplinkState, "connected" | "broker" | "attempts" | "lastError">;
}

export interface TestAlertParts {
  pipeline: { raiseTest: () => { alert: string } };
  outbox: {
    alertState: (alert: string) => AlertStateInfo | undefined;
    deliveredRange: (fromSeq: number, toSeq?: number, limit?: number) => StoredMessage[];
  };
  uplink: { state: () => UplinkState; noSubscribers: (seq: number) => string | undefined };
}

/**
 * The control socket's handlers behind `hearth test-alert`: `test_alert` raises a `test` alert through
 * the pipeline (outbox, then broker) and `test_alert_status` tells how far it has got.
 */
export function testAlertHandlers(p: TestAlertParts): Record<string, ControlHandler> {
  return {
    test_alert: () => testAlertProgress(p, p.pipeline.raiseTest().alert),
    test_alert_status: (req) => testAlertProgress(p, String(req.alert ?? "")),
  };
}

/** How far the test alert `alert` has got. */
export function testAlertProgress(p: TestAlertParts, alert: string): TestAlertProgress {
  if (alert === "") throw new HearthError('test_alert_status needs "alert"', ErrorCode.CommandInvalid);
  const info = p.outbox.alertState(alert);
  if (info !== undefined && info.kind !== "test")
    throw new HearthError(`alert ${alert} is a ${info.kind}, not a test alert`, ErrorCode.CommandInvalid, {
      alert,
    });
  const u = p.uplink.state();
  const published =
    info !== undefined && p.outbox.deliveredRange(info.raisedSeq, info.raisedSeq, 1).length > 0;
  const unrouted =
    published && info.state !== "acknowledged" ? p.uplink.noSubscribers(info.raisedSeq) : undefined;
  return {
    alert,
    state: info?.state,
    stored: info !== undefined,
    published,
    ...(unrouted !== undefined ? { noSubscribers: unrouted } : {}),
    uplink: {
      connected: u.connected,
      attempts: u.attempts,
      ...(u.broker !== undefined ? { broker: u.broker } : {}),
      ...(u.lastError !== undefined ? { lastError: u.lastError } : {}),
    },
  };
}
