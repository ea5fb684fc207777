import type { ControlHandler } from "../control/server.js";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { Commissioning } from "../pipeline/commissioning.js";

function optionalMs(req: Record<string, unknown>, key: string): number | undefined {
  const v = req[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new HearthError(`"${key}" must be a number of milliseconds`, ErrorCode.CommandInvalid, { key });
  return v;
}

function name(req: Record<string, unknown>): string {
  const by = req.by;
  if (typeof by !== "string" || by.trim() === "" || by.length > 200)
    throw new HearthError('"by": the installer\'s name, 1 to 200 characters', ErrorCode.CommandInvalid);
  return by;
}

/**
 * The control socket's commissioning commands (`hearth commission …`): whoever may use the socket
 * (root and the hearth group, its mode 0660) may start and stop the mode, as for `test-alert`.
 */
export function commissionHandlers(c: Commissioning): Record<string, ControlHandler> {
  return {
    commission_start: (req) => {
      const forMs = optionalMs(req, "for_ms");
      return c.start(name(req), forMs);
    },
    commission_expect_press: (req) => c.expectPress(optionalMs(req, "within_ms")),
    commission_stop: (req) => c.stop(name(req)),
    commission_state: () => ({ commissioning: c.state() ?? null }),
    commission_report: (req) => {
      const report = req.report;
      if (!report || typeof report !== "object" || Array.isArray(report))
        throw new HearthError('"report": the commissioning report as an object', ErrorCode.CommandInvalid);
      return c.report(name(req), report as Record<string, unknown>);
    },
  };
}
