import { userInfo } from "node:os";
import { controlRequest } from "../control/client.js";
import { parseDuration } from "../core/duration.js";
import { errorMessage } from "../core/errors.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson } from "./io.js";
import { resolveSocket, type SocketOptions } from "./status.js";

export interface CommissionFlags extends SocketOptions {
  by?: string;
  for?: string;
  until?: string;
  within?: string;
  report?: string;
  timeout?: string;
}

/** The installer's name: given, or who ran sudo, or the login. */
export function installerName(by: string | undefined): string {
  if (by) return by;
  const sudo = process.env.SUDO_USER;
  if (sudo) return sudo;
  try {
    return userInfo().username;
  } catch {
    return "installer";
  }
}

function durationFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0)
    throw new CliExit(EXIT.usage, `hearth commission: ${flag} ${value}: not a duration (e.g. 2h, 90m)`);
  return ms;
}

/** `--until` (a time today or an ISO date-time) or `--for` as milliseconds from now. */
export function periodMs(flags: CommissionFlags, nowMs = Date.now()): number | undefined {
  if (flags.until !== undefined && flags.for !== undefined)
    throw new CliExit(EXIT.usage, "hearth commission start: give --until or --for, not both");
  if (flags.until !== undefined) {
    const hm = /^(\d{1,2}):(\d{2})$/.exec(flags.until);
    let at: number;
    if (hm) {
      const d = new Date(nowMs);
      d.setHours(Number(hm[1]), Number(hm[2]), 0, 0);
      at = d.getTime();
    } else at = Date.parse(flags.until);
    if (!Number.isFinite(at) || at <= nowMs)
      throw new CliExit(
        EXIT.usage,
        `hearth commission start: --until ${flags.until}: not a time in the future`,
      );
    return at - nowMs;
  }
  return durationFlag("--for", flags.for);
}

async function ask(what: string, opts: SocketOptions, request: { cmd: string; [k: string]: unknown }) {
  try {
    const data = await controlRequest(resolveSocket(opts), request);
    printJson(data);
    return data;
  } catch (e) {
    throw new CliExit(EXIT.failed, `hearth commission ${what}: ${errorMessage(e)}`);
  }
}

export async function commissionCommand(action: string, flags: CommissionFlags): Promise<void> {
  const by = installerName(flags.by);
  if (action === "start") {
    const forMs = periodMs(flags);
    await ask("start", flags, {
      cmd: "commission_start",
      by,
      ...(forMs !== undefined ? { for_ms: forMs } : {}),
    });
    process.stderr.write(
      "Commissioning: silences go out as test alerts; a press is a test only after `hearth commission expect-press`, every other press is a real call.\n",
    );
    return;
  }
  if (action === "expect-press") {
    const within = durationFlag("--within", flags.within);
    await ask("expect-press", flags, {
      cmd: "commission_expect_press",
      ...(within !== undefined ? { within_ms: within } : {}),
    });
    process.stderr.write("Press the button now: this one press goes out as a test alert.\n");
    return;
  }
  if (action === "stop") {
    await ask("stop", flags, { cmd: "commission_stop", by });
    return;
  }
  if (action === "finish") {
    const { commissionFinish } = await import("./commission-finish.js");
    await commissionFinish({ ...flags, by });
    return;
  }
  throw new CliExit(
    EXIT.usage,
    `hearth commission: unknown action "${action}" (start, expect-press, stop, finish)`,
  );
}
