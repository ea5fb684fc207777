import type { AlertKind } from "../contract/messages.js";
import { ALERT_KINDS } from "../contract/messages.js";
import type { Decision } from "./decisions.js";
import type { AlertRow, ReceiverStore } from "./store/types.js";

const isKnownKind = (k: string): k is AlertKind => (ALERT_KINDS as readonly string[]).includes(k);

/** States the gateway still treats as open: an ack (automatic, or after the webhook) closes them. */
export const OPEN_STATES: ReadonlySet<string> = new Set(["raised", "escalated"]);

export interface AlertIntakeDeps {
  store: ReceiverStore;
  decide(d: Decision): void;
  /** Present when a webhook is configured: wakes its delivery loop. */
  webhook: { kick(): void } | undefined;
  /** Whether an open alert is acknowledged only once the webhook answered (`--ack webhook`). */
  ackAfterWebhook: boolean;
  wallMs(): number;
}

/**
 * Stores an alert state and does what follows from it: the `alert_stored` decision and the webhook
 * delivery, queued in the store under the message id. Returns true when this call did them.
 *
 * The instances of a group share the store, and one can be killed after the state is stored and before
 * its webhook is queued. The gateway then sends the message again (the receiver's gap resend), and the
 * instance that takes it finds the state already stored. When the stored state is the one this very
 * message set (same message id), its webhook is queued again, idempotently (the queue is keyed by the
 * message id and never forgets a key); queued now, the first handling had died before it, and this
 * call finishes it, decision included. A true duplicate finds its webhook queued and does nothing.
 */
export async function storeAlertState(
  deps: AlertIntakeDeps,
  row: AlertRow,
  envelope: unknown,
): Promise<boolean> {
  const { store } = deps;
  if (!(await store.applyAlert(row))) {
    if (!deps.webhook) return false;
    const held = await store.getAlert(row.alert);
    if (held?.messageId !== row.messageId || held.state !== row.state) return false;
    if (!(await enqueue(deps, row, envelope))) return false;
    decideStored(deps, row);
    deps.webhook.kick();
    return true;
  }
  decideStored(deps, row);
  if (deps.webhook) {
    await enqueue(deps, row, envelope);
    deps.webhook.kick();
  }
  return true;
}

function decideStored(deps: AlertIntakeDeps, row: AlertRow): void {
  deps.decide({
    decision: "alert_stored",
    home: row.home,
    alert: row.alert,
    kind: row.kind,
    state: row.state,
    id: row.messageId,
    known_kind: isKnownKind(row.kind),
    origin: row.origin,
  });
}

function enqueue(deps: AlertIntakeDeps, row: AlertRow, envelope: unknown): Promise<boolean> {
  const body = JSON.stringify({
    id: row.messageId,
    home: row.home,
    alert: row.alert,
    kind: row.kind,
    state: row.state,
    origin: row.origin,
    evidence: row.evidence,
    ...(envelope ? { message: envelope } : {}),
  });
  return deps.store.enqueueWebhook({
    key: row.messageId,
    alert: row.alert,
    body,
    nextAt: deps.wallMs(),
    ackAfter: deps.ackAfterWebhook && OPEN_STATES.has(row.state),
  });
}
