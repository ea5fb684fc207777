import type { FIELD_COMMAND_BODIES } from "../contract/field-commands.js";
import type { CommandBody, CommandEnvelope, CommandName, ReplyBody } from "../contract/messages.js";
import { commandTopic } from "../contract/topics.js";
import type { Clock } from "../core/clock.js";
import { ErrorCode, errorMessage, HearthError, isHearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { DAY_MS } from "../core/time.js";
import { echoableId, INVALID_ID, MAX_ECHOED_ID, NO_ID } from "../uplink/replies.js";
import { CommandGuard, type CommandSecurity, type SeenStore } from "./command-guard.js";

type Handler<N extends CommandName> = (
  body: CommandBody<N>,
  cmd: CommandEnvelope,
) => Record<string, unknown> | Promise<Record<string, unknown>>;
/** Commands that change the gateway itself: a gateway without a handler answers unknown_command. */
type FieldName = keyof typeof FIELD_COMMAND_BODIES;
export type CommandHandlers = { [N in Exclude<CommandName, FieldName>]: Handler<N> } & {
  [N in FieldName]?: Handler<N>;
};

/** The reply's error code for each refusal (docs/contract.md, Commands). */
const ERROR_NAMES: Partial<Record<number, string>> = {
  [ErrorCode.CommandInvalid]: "invalid",
  [ErrorCode.CommandUnknown]: "unknown_command",
  [ErrorCode.CommandExpired]: "expired",
  [ErrorCode.CommandFailed]: "failed",
  [ErrorCode.CommandBusy]: "busy",
  [ErrorCode.CommandUnsigned]: "unsigned",
  [ErrorCode.CommandBadSignature]: "bad_signature",
  [ErrorCode.CommandReplayed]: "replayed",
  [ErrorCode.CommandClockUnsynced]: "clock_unsynced",
  [ErrorCode.CommandKindMismatch]: "kind_mismatch",
  [ErrorCode.CommandRefused]: "refused",
};

export interface DispatcherOptions {
  home: string;
  handlers: CommandHandlers;
  /** The wall clock commands are dated on (real time, even in the demo). */
  clock: Clock;
  log: Logger;
  security: CommandSecurity;
  /** Where seen command ids outlive a restart; without it they are kept in memory only. */
  seen?: SeenStore;
}

/** The zod checks of commands, loaded with the first command (command-parse.ts). */
type Parse = typeof import("./command-parse.js");
let parsing: Promise<Parse> | undefined;

/**
 * The boundary for every command from the cloud: parse, authenticate (signature, validity window, never
 * seen before: CommandGuard), dispatch through a lookup table. Any error becomes an error reply and a
 * log line; nothing here throws.
 */
export function createCommandDispatcher(o: DispatcherOptions) {
  const { handlers, log } = o;
  const guard = new CommandGuard({
    security: o.security,
    clock: o.clock,
    log,
    ...(o.seen !== undefined ? { seen: o.seen } : {}),
  });
  return async (name: string, payload: Buffer): Promise<ReplyBody> => {
    let id = NO_ID;
    try {
      let json: unknown;
      try {
        json = JSON.parse(payload.toString("utf8"));
      } catch (e) {
        throw new HearthError(`command is not JSON: ${errorMessage(e)}`, ErrorCode.CommandInvalid);
      }
      if (json && typeof json === "object") id = echoableId((json as { id?: unknown }).id);
      if (id === INVALID_ID)
        throw new HearthError(
          `command id is invalid: not 1 to ${MAX_ECHOED_ID} printable ASCII characters`,
          ErrorCode.CommandInvalid,
        );
      // A failed load is tried again with the next command rather than kept.
      parsing ??= import("./command-parse.js").catch((e: unknown) => {
        parsing = undefined;
        throw e;
      });
      const parse = await parsing;
      const cmd = parse.commandOf(json);
      // Own properties only: `cmd/toString` or `cmd/__proto__` must not find Object.prototype's members.
      if (!parse.isCommandName(name) || !Object.hasOwn(handlers, name)) {
        throw new HearthError(
          `unknown command "${name}" (known: ${parse.COMMAND_LIST})`,
          ErrorCode.CommandUnknown,
        );
      }
      // The uplink hands over only names under this home's cmd/ filter, so this is the topic it came on.
      guard.admit(name, commandTopic(o.home, name), json as Record<string, unknown>, cmd);
      const body = parse.bodyOf(name, cmd.body);
      const handler = handlers[name] as (
        b: unknown,
        c: CommandEnvelope,
      ) => Record<string, unknown> | Promise<Record<string, unknown>>;
      const data = await handler(body, cmd);
      log.info({ command: name, id }, `Command ${name} done`);
      return { command_id: id, command: name, status: "ok", data };
    } catch (e) {
      const code = isHearthError(e) ? (ERROR_NAMES[e.code] ?? "failed") : "internal";
      log.warn({ command: name, id, err: e }, `Command ${name} refused: ${errorMessage(e)}`);
      return { command_id: id, command: name, status: "error", error: { code, message: errorMessage(e) } };
    }
  };
}

/** The longest `watch` may set a level for: a forgotten `away` ends by itself within a month. */
export const MAX_WATCH_UNTIL_MS = 30 * DAY_MS;

/** A watch command's `until` as wall ms: in the future, and at most MAX_WATCH_UNTIL_MS ahead of `nowMs`. */
export function watchUntil(until: string, nowMs: number): number {
  const ms = Date.parse(until);
  if (ms <= nowMs) throw new HearthError(`watch until ${until} is already past`, ErrorCode.CommandFailed);
  if (ms - nowMs > MAX_WATCH_UNTIL_MS)
    throw new HearthError(
      `watch until ${until} is more than ${MAX_WATCH_UNTIL_MS / DAY_MS} days ahead`,
      ErrorCode.CommandInvalid,
    );
  return ms;
}
