import { controlRequest } from "../control/client.js";
import { socketPath } from "../control/socket.js";
import { errorMessage } from "../core/errors.js";
import { SECOND_MS } from "../core/time.js";

/** What the root helper reads of `hearth status` to judge an agent after a restart. */
export interface StatusSnapshot {
  version?: string;
  uplink?: { connected?: boolean };
  storage?: { state?: string };
  devices?: Record<string, { availability?: string }>;
}

/** Whether the agent came back healthy: the answer, and if not, why (for the event and the log). */
export interface HealthVerdict {
  ok: boolean;
  detail: string;
}

/** Checks a restarted agent; injected in tests (no agent, no systemd there). */
export type HealthCheck = (expect: HealthExpectation) => Promise<HealthVerdict>;

export interface HealthExpectation {
  /** The version the restarted agent must say it is (an update); undefined: any. */
  version?: string;
  /** The status before the change: devices that reported then must report again. */
  before?: StatusSnapshot;
  timeoutMs: number;
}

/**
 * Why `now` is not healthy (empty: it is). Healthy is: the expected version runs, it is connected to a
 * broker, its outbox is on disk and writable (not running from memory), and every device that had
 * reported before the change (online) is online again — so devices were polled by the new agent.
 */
export function unhealthyReasons(
  now: StatusSnapshot,
  expect: Omit<HealthExpectation, "timeoutMs">,
): string[] {
  const out: string[] = [];
  if (expect.version !== undefined && now.version !== expect.version)
    out.push(`version ${String(now.version)} runs, not ${expect.version}`);
  if (now.uplink?.connected !== true) out.push("not connected to a broker");
  const storage = now.storage?.state;
  if (storage !== "ok" && storage !== "degraded") out.push(`outbox not usable (storage ${String(storage)})`);
  const was = Object.entries(expect.before?.devices ?? {}).filter(([, d]) => d.availability === "online");
  const silent = was.filter(([id]) => now.devices?.[id]?.availability !== "online").map(([id]) => id);
  if (silent.length > 0) out.push(`not polled again: ${silent.join(", ")}`);
  return out;
}

/** The agent's status over its control socket, or undefined when no agent answers. */
export async function readStatus(stateDir: string): Promise<StatusSnapshot | undefined> {
  try {
    return (await controlRequest(socketPath(stateDir), { cmd: "status" }, 5 * SECOND_MS)) as StatusSnapshot;
  } catch {
    return undefined;
  }
}

/** Polls the control socket of the agent in `stateDir` until it is healthy or the time is up. */
export function socketHealthCheck(stateDir: string, pollMs = 2 * SECOND_MS): HealthCheck {
  return async (expect) => {
    const deadline = Date.now() + expect.timeoutMs;
    let last = "no answer on the control socket";
    for (;;) {
      try {
        const now = (await controlRequest(socketPath(stateDir), { cmd: "status" })) as StatusSnapshot;
        const reasons = unhealthyReasons(now, expect);
        if (reasons.length === 0) return { ok: true, detail: "connected, devices polled, outbox usable" };
        last = reasons.join("; ");
      } catch (e) {
        last = errorMessage(e);
      }
      if (Date.now() >= deadline)
        return {
          ok: false,
          detail: `not healthy within ${Math.round(expect.timeoutMs / SECOND_MS)} s: ${last}`,
        };
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
}
