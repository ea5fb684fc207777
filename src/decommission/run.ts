import type { PrivilegedResult } from "../privileged/index.js";

export interface DecommissionSteps {
  /** The running agent's status (`hearth status`), or undefined when none answers. */
  status: () => Promise<{ outbox?: { depth?: Record<string, number> } } | undefined>;
  /** Asks the agent to put the `decommissioned` event in its outbox. */
  notify: () => Promise<unknown>;
  /** Asks the root helper to stop the agent and delete (privileged/actions/decommission.ts). */
  erase: () => Promise<PrivilegedResult>;
  flushTimeoutMs: number;
  pollMs?: number;
  progress: (line: string) => void;
  nowMs?: () => number;
}

export interface DecommissionReport {
  /** Whether everything pending was delivered before the deletion (false: given up at the timeout). */
  flushed: boolean;
  /** Messages still undelivered when the agent was stopped (lost with the outbox). */
  pending: number | null;
  /** Whether the `decommissioned` event was delivered. */
  told_cloud: boolean;
  ok: boolean;
  message: string;
  deleted: unknown;
}

const pendingOf = (s: Awaited<ReturnType<DecommissionSteps["status"]>>) =>
  s === undefined ? null : Object.values(s.outbox?.depth ?? {}).reduce((a, b) => a + b, 0);

/**
 * `hearth decommission`: waits (bounded, one deadline for all of it) until the outbox is empty, has
 * the agent tell the cloud `decommissioned` and waits for that to be delivered too, then has the root
 * helper stop the agent and delete. What could not be delivered in time is said, not hidden.
 */
export async function decommission(d: DecommissionSteps): Promise<DecommissionReport> {
  const now = d.nowMs ?? Date.now;
  const deadline = now() + d.flushTimeoutMs;
  const drained = async (): Promise<{ ok: boolean; pending: number | null }> => {
    for (;;) {
      const pending = pendingOf(await d.status());
      if (pending === null || pending === 0) return { ok: pending === 0, pending };
      if (now() >= deadline) return { ok: false, pending };
      d.progress(`decommission: ${pending} messages still to deliver…`);
      await new Promise((r) => setTimeout(r, d.pollMs ?? 1000));
    }
  };
  let flushed = await drained();
  let told = false;
  if (flushed.pending !== null) {
    try {
      await d.notify();
      flushed = await drained();
      told = flushed.ok;
    } catch (e) {
      d.progress(`decommission: the agent did not take the decommissioned event (${String(e)})`);
    }
  } else d.progress("decommission: no agent answers: nothing can be flushed, the cloud is not told");
  const result = await d.erase();
  return {
    flushed: flushed.ok,
    pending: flushed.pending,
    told_cloud: told,
    ok: result.ok,
    message: result.message,
    deleted: result.detail?.deleted ?? [],
  };
}
