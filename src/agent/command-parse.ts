import type { z } from "zod";
import {
  COMMAND_BODIES,
  type CommandEnvelope,
  type CommandName,
  commandEnvelope,
} from "../contract/messages.js";
import { ErrorCode, HearthError } from "../core/errors.js";

/**
 * A command from the cloud checked against the contract's zod schemas. commands.ts loads this module
 * when the first command arrives, so that a home that gets none never loads zod (issue 14, footprint).
 */

function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/** The command's outer shape; throws CommandInvalid naming what is wrong. */
export function commandOf(json: unknown): CommandEnvelope {
  const env = commandEnvelope.safeParse(json);
  if (!env.success)
    throw new HearthError(`command envelope is invalid: ${issuesText(env.error)}`, ErrorCode.CommandInvalid);
  return env.data;
}

/** Whether the contract knows `name`; own properties only (`cmd/toString` is not a command). */
export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMAND_BODIES, name);
}

export const COMMAND_LIST = Object.keys(COMMAND_BODIES).join(", ");

/** The command's body, defaults filled in; throws CommandInvalid naming what is wrong. */
export function bodyOf(name: CommandName, body: unknown): unknown {
  const parsed = COMMAND_BODIES[name].safeParse(body);
  if (!parsed.success)
    throw new HearthError(`${name} body is invalid: ${issuesText(parsed.error)}`, ErrorCode.CommandInvalid);
  return parsed.data;
}
