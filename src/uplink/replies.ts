import type { ReplyBody } from "../contract/messages.js";
import { commandFilter, commandName, topicFor } from "../contract/topics.js";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { Connection } from "./connection.js";
import { type StampContext, stamp } from "./envelopes.js";
import type { CommandHandler } from "./types.js";

export interface RepliesOptions {
  home: string;
  onCommand: CommandHandler;
  log: Logger;
  stamp: StampContext;
  /** The live connection, if any: a reply goes out on it even when the command came on an older one. */
  current: () => Connection | undefined;
}

/**
 * Commands from the cloud and their replies: subscribes on each connection, hands each command to the
 * handler and publishes its reply. A broken command, a failing handler or a reply that breaks the
 * contract each get an error reply; none of them stops the uplink.
 */
export class CommandReplies {
  readonly #o: RepliesOptions;

  constructor(o: RepliesOptions) {
    this.#o = o;
  }

  subscribe(c: Connection): void {
    c.client.subscribe(commandFilter(this.#o.home), { qos: 1 }, (err) => {
      if (err) this.#o.log.error({ broker: c.url, err }, "Failed to subscribe to commands");
    });
  }

  onMessage(c: Connection, topic: string, payload: Buffer): void {
    const name = commandName(this.#o.home, topic);
    if (name === undefined) {
      this.#o.log.debug({ topic }, "Ignoring a message outside the command topics");
      return;
    }
    void this.#command(c, name, payload);
  }

  async #command(c: Connection, name: string, payload: Buffer): Promise<void> {
    let reply: ReplyBody | undefined;
    try {
      reply = await this.#o.onCommand(name, payload);
    } catch (e) {
      this.#o.log.warn({ command: name, err: e }, `Command '${name}' failed`);
      reply = {
        command_id: commandIdOf(payload),
        command: name,
        status: "error",
        error: { code: "failed", message: errorMessage(e) },
      };
    }
    if (!reply) return;
    let envelope: string;
    try {
      envelope = JSON.stringify(stamp(this.#o.stamp, "reply", reply));
    } catch (e) {
      this.#o.log.error(
        { command: name, err: e },
        `Reply to '${name}' breaks the contract; answering an error`,
      );
      envelope = JSON.stringify(
        stamp(this.#o.stamp, "reply", {
          command_id: commandIdOf(payload),
          command: name,
          status: "error",
          error: { code: "internal", message: "the reply broke the message contract" },
        }),
      );
    }
    const live = this.#o.current();
    const target = live?.connected ? live : c;
    if (!target.connected) {
      this.#o.log.warn({ command: name }, `Reply to '${name}' dropped: not connected`);
      return;
    }
    target.publish(topicFor(this.#o.home, "reply"), envelope, false, (err) => {
      if (err && !target.down)
        this.#o.log.warn({ command: name, err }, `Reply to '${name}' not acknowledged`);
    });
  }
}

/** A command id is echoed only when it is 1 to 64 printable ASCII characters (the contract's ids are 8–64). */
export const MAX_ECHOED_ID = 64;
/** Echoed instead of an id that is not a string: there is none to echo. Shorter than any valid id. */
export const NO_ID = "unknown";
/** Echoed instead of an id that is too long or not printable ASCII. Shorter than any valid id. */
export const INVALID_ID = "invalid";
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * What a reply may echo of a command's `id`: the id itself when it is short printable ASCII, else
 * `INVALID_ID` (never a prefix of it: a reply must not carry control characters, terminal escapes or
 * 64 kB of whatever the sender chose), or `NO_ID` when there is no string id.
 */
export function echoableId(id: unknown): string {
  if (typeof id !== "string") return NO_ID;
  return id.length <= MAX_ECHOED_ID && PRINTABLE_ASCII.test(id) ? id : INVALID_ID;
}

/** The command id of a raw payload when it has one, so that even a broken command gets a traceable reply. */
export function commandIdOf(payload: Buffer): string {
  try {
    const parsed: unknown = JSON.parse(payload.toString("utf8"));
    if (parsed !== null && typeof parsed === "object" && "id" in parsed) return echoableId(parsed.id);
  } catch {
    // Not JSON: no id to echo.
  }
  return NO_ID;
}
