import { errorMessage } from "../core/errors.js";
import {
  type AnyPrivilegedAction,
  type PrivilegedContext,
  type PrivilegedResult,
  REQUEST_MAX_AGE_MS,
} from "./action.js";
import { takeRequests, writeResult } from "./request-files.js";

const ID = /^[0-9]{14}-[0-9a-f-]{36}$/;

/**
 * The root helper's one pass: runs every pending request through its action and writes each result.
 * A malformed, unknown, stale or failing request gets a result that says why; none stops the others.
 */
export async function runPendingRequests(
  stateDir: string,
  actions: ReadonlyMap<string, AnyPrivilegedAction>,
  ctx: PrivilegedContext,
): Promise<PrivilegedResult[]> {
  const results: PrivilegedResult[] = [];
  for (const { file, text } of takeRequests(stateDir)) {
    const finish = (
      id: string,
      action: string,
      ok: boolean,
      message: string,
      detail?: Record<string, unknown>,
    ) => {
      const result: PrivilegedResult = {
        id,
        action,
        ok,
        message,
        ...(detail ? { detail } : {}),
        finished_at: ctx.now().toISOString(),
      };
      if (ID.test(id)) writeResult(stateDir, result);
      ctx.log[ok ? "info" : "warn"]({ request: id, action, ok, detail }, `privileged request: ${message}`);
      results.push(result);
    };
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      finish("", "", false, `${file}: not JSON (${errorMessage(e)})`);
      continue;
    }
    const r = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
    const id = typeof r.id === "string" ? r.id : "";
    const name = typeof r.action === "string" ? r.action : "";
    if (!ID.test(id)) {
      finish("", name, false, `${file}: request id missing or malformed`);
      continue;
    }
    const action = actions.get(name);
    if (!action) {
      finish(id, name, false, `unknown action "${name}" (known: ${[...actions.keys()].join(", ")})`);
      continue;
    }
    const at = typeof r.requested_at === "string" ? Date.parse(r.requested_at) : Number.NaN;
    const age = ctx.now().getTime() - at;
    if (!Number.isFinite(at) || age > REQUEST_MAX_AGE_MS || age < -60_000) {
      finish(id, name, false, "request refused: requested_at missing, stale or in the future");
      continue;
    }
    try {
      const args = action.parse(r.args);
      const done = await action.run(args, ctx);
      finish(id, name, true, done.message, done.detail);
    } catch (e) {
      finish(id, name, false, errorMessage(e));
    }
  }
  return results;
}
