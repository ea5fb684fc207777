import type { KeyObject } from "node:crypto";
import { randomUUID } from "node:crypto";
import { signCommand } from "../contract/command-signing.js";
import { COMMAND_BODIES, CONTRACT_VERSION, type CommandName } from "../contract/messages.js";
import { commandTopic } from "../contract/topics.js";
import { ErrorCode, HearthError } from "../core/errors.js";

/** Publishes one command, QoS 1 (queued: it does not wait for the PUBACK). */
export type PublishFn = (topic: string, payload: string) => Promise<void>;

/**
 * Commands to gateways, each a new id, `ts` now, `expires` `ttlMs` later, signed with the provider's
 * key (docs/contract.md, "Signed commands"). Without a key they go unsigned: only a gateway configured
 * `insecure: true` runs them.
 */
export class CommandSender {
  readonly #publish: PublishFn;
  readonly #key: KeyObject | undefined;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(publish: PublishFn, key: KeyObject | undefined, ttlMs: number, now: () => number) {
    this.#publish = publish;
    this.#key = key;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** Sends `name` with `body` to `home`; resolves with the command id. */
  async send(home: string, name: CommandName, body: Record<string, unknown>): Promise<string> {
    const checked = COMMAND_BODIES[name].safeParse(body);
    if (!checked.success)
      throw new HearthError(`${name} body is invalid: ${checked.error.message}`, ErrorCode.CommandInvalid, {
        home,
      });
    const now = this.#now();
    const id = `rx-${randomUUID()}`;
    const cmd = {
      v: CONTRACT_VERSION,
      id,
      ts: new Date(now).toISOString(),
      expires: new Date(now + this.#ttlMs).toISOString(),
      body,
    };
    const topic = commandTopic(home, name);
    const payload = this.#key ? signCommand(topic, cmd, this.#key) : cmd;
    await this.#publish(topic, JSON.stringify(payload));
    return id;
  }
}
