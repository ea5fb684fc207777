import type { z } from "zod";
import {
  COMMAND_BODIES,
  type CommandBody,
  type CommandEnvelope,
  type CommandName,
  commandEnvelope,
  type ReplyBody,
} from "../contract/messages.js";
import type { Clock } from "../core/clock.js";
import { ErrorCode, errorMessage, HearthError, isHearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { echoableId, INVALID_ID, MAX_ECHOED_ID, NO_ID } from "../uplink/replies.js";

export type CommandHandlers = {
  [N in CommandName]: (
    body: CommandBody<N>,
    cmd: CommandEnvelope,
  ) => Record<string, unknown> | Promise<Record<string, unknown>>;
};

const ERROR_NAMES: Partial<Record<number, string>> = {
  [ErrorCode.CommandInvalid]: "invalid",
  [ErrorCode.CommandUnknown]: "unknown_command",
  [ErrorCode.CommandExpired]: "expired",
  [ErrorCode.CommandFailed]: "failed",
  [ErrorCode.CommandBusy]: "busy",
};

function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/**
 * The boundary for every command from the cloud: parse, check expiry, dispatch through a lookup table.
 * Any error becomes an error reply and a log line; nothing here throws.
 */
export function createCommandDispatcher(handlers: CommandHandlers, clock: Clock, log: Logger) {
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
      const env = commandEnvelope.safeParse(json);
      if (!env.success)
        throw new HearthError(
          `command envelope is invalid: ${issuesText(env.error)}`,
          ErrorCode.CommandInvalid,
        );
      const cmd = env.data;
      // Own properties only: `cmd/toString` or `cmd/__proto__` must not find Object.prototype's members.
      if (!Object.hasOwn(COMMAND_BODIES, name) || !Object.hasOwn(handlers, name)) {
        throw new HearthError(
          `unknown command "${name}" (known: ${Object.keys(COMMAND_BODIES).join(", ")})`,
          ErrorCode.CommandUnknown,
        );
      }
      if (cmd.expires !== undefined && Date.parse(cmd.expires) < clock.wallMs()) {
        throw new HearthError(`command expired at ${cmd.expires}`, ErrorCode.CommandExpired);
      }
      const n = name as CommandName;
      const body = COMMAND_BODIES[n].safeParse(cmd.body);
      if (!body.success)
        throw new HearthError(`${name} body is invalid: ${issuesText(body.error)}`, ErrorCode.CommandInvalid);
      const handler = handlers[n] as (
        b: unknown,
        c: CommandEnvelope,
      ) => Record<string, unknown> | Promise<Record<string, unknown>>;
      const data = await handler(body.data, cmd);
      log.info({ command: name, id }, `Command ${name} done`);
      return { command_id: id, command: name, status: "ok", data };
    } catch (e) {
      const code = isHearthError(e) ? (ERROR_NAMES[e.code] ?? "failed") : "internal";
      log.warn({ command: name, id, err: e }, `Command ${name} refused: ${errorMessage(e)}`);
      return { command_id: id, command: name, status: "error", error: { code, message: errorMessage(e) } };
    }
  };
}
