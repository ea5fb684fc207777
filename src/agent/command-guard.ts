import type { KeyObject } from "node:crypto";
import { verifyCommand } from "../contract/command-signing.js";
import type { CommandEnvelope } from "../contract/messages.js";
import type { Clock } from "../core/clock.js";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { MINUTE_MS, SECOND_MS } from "../core/time.js";

/** The longest a command may live: `expires` at most this long after `ts` (and so the replay window). */
export const MAX_COMMAND_VALIDITY_MS = 10 * MINUTE_MS;
/** How far a command's `ts` may be ahead of the gateway's synced clock (the two clocks' disagreement). */
export const MAX_CLOCK_SKEW_MS = 60 * SECOND_MS;
/**
 * Ids remembered at most. Every remembered id expires within MAX_COMMAND_VALIDITY_MS + skew, so this
 * is over 1.5 commands a second sustained for ten minutes: far above what a care centre sends. When it
 * is full, new commands are refused rather than an id forgotten early (which would let its replay in).
 */
export const MAX_REMEMBERED_IDS = 1000;
/** Commands that change nothing: answered even while the clock is unsynced. */
const READ_ONLY = new Set(["ping"]);
const SEEN_KEY = "commands.seen";

export interface CommandSecurity {
  /** The cloud's public keys; empty: none configured. */
  keys: readonly KeyObject[];
  /** Without keys: accept unsigned commands (the config said `insecure: true`). */
  insecure: boolean;
}

/** Where the remembered ids survive a restart inside their window (the outbox's kv table). */
export interface SeenStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

export interface GuardOptions {
  security: CommandSecurity;
  /** The wall clock commands are dated on, and whether it is synced. */
  clock: Clock;
  log: Logger;
  seen?: SeenStore;
}

/**
 * Decides whether a well-formed command may run: signed by the cloud (or the gateway is insecure by
 * config), within its validity window on a synced clock, and never seen before. Throws a HearthError
 * whose code names the reason; remembers the id of every command it lets through.
 */
export class CommandGuard {
  readonly #o: GuardOptions;
  /** id → expires (wall ms). Insertion order is arrival order. */
  readonly #seen = new Map<string, number>();
  #loaded = false;

  constructor(o: GuardOptions) {
    this.#o = o;
  }

  /** `raw` is the parsed JSON exactly as received (the signature covers it), `cmd` its validated form. */
  admit(name: string, topic: string, raw: Readonly<Record<string, unknown>>, cmd: CommandEnvelope): void {
    this.#authenticate(topic, raw, cmd);
    this.#checkTime(name, cmd);
    this.#remember(cmd);
  }

  #authenticate(topic: string, raw: Readonly<Record<string, unknown>>, cmd: CommandEnvelope): void {
    const { keys, insecure } = this.#o.security;
    if (keys.length === 0) {
      if (insecure) return;
      throw new HearthError(
        "this gateway has no key to check commands with (cloud.commands.public_key) and is not configured insecure: every command is refused",
        ErrorCode.CommandRefused,
      );
    }
    if (cmd.sig === undefined)
      throw new HearthError(
        "command is not signed: this gateway takes signed commands only",
        ErrorCode.CommandUnsigned,
      );
    if (!verifyCommand(topic, raw, keys))
      throw new HearthError(
        "command signature does not verify for this topic with the cloud's key",
        ErrorCode.CommandBadSignature,
      );
  }

  #checkTime(name: string, cmd: CommandEnvelope): void {
    const ts = Date.parse(cmd.ts);
    const expires = Date.parse(cmd.expires);
    if (!(expires > ts) || expires - ts > MAX_COMMAND_VALIDITY_MS)
      throw new HearthError(
        `command expires ${cmd.expires} must be after its ts ${cmd.ts} and at most ${MAX_COMMAND_VALIDITY_MS / MINUTE_MS} minutes later`,
        ErrorCode.CommandInvalid,
      );
    const clock = this.#o.clock;
    if (!clock.wallSynced()) {
      // An unsynced wall clock (a Pi without RTC starts in the past) cannot tell a fresh command from
      // one recorded a year ago: nothing that changes state runs until NTP has synced.
      if (READ_ONLY.has(name)) return;
      throw new HearthError(
        "the gateway's clock is not synced yet, so the command's expiry cannot be checked: refused until it is",
        ErrorCode.CommandClockUnsynced,
      );
    }
    const now = clock.wallMs();
    if (ts > now + MAX_CLOCK_SKEW_MS)
      throw new HearthError(
        `command ts ${cmd.ts} is more than ${MAX_CLOCK_SKEW_MS / SECOND_MS} s ahead of the gateway's synced clock`,
        ErrorCode.CommandInvalid,
      );
    if (expires < now) throw new HearthError(`command expired at ${cmd.expires}`, ErrorCode.CommandExpired);
  }

  #remember(cmd: CommandEnvelope): void {
    this.#load();
    const now = this.#o.clock.wallMs();
    for (const [id, expires] of this.#seen) if (expires < now) this.#seen.delete(id);
    if (this.#seen.has(cmd.id))
      throw new HearthError(`command ${cmd.id} was already received: a replay`, ErrorCode.CommandReplayed);
    if (this.#seen.size >= MAX_REMEMBERED_IDS)
      throw new HearthError(
        `more than ${MAX_REMEMBERED_IDS} commands in ${MAX_COMMAND_VALIDITY_MS / MINUTE_MS} minutes: refused until older ones expire`,
        ErrorCode.CommandRefused,
      );
    // Kept to expires plus the skew: a command is refused once expired anyway, and the skew covers a
    // gateway clock slightly behind the sender's.
    this.#seen.set(cmd.id, Date.parse(cmd.expires) + MAX_CLOCK_SKEW_MS);
    this.#save();
  }

  #load(): void {
    if (this.#loaded || !this.#o.seen) return;
    this.#loaded = true;
    try {
      const text = this.#o.seen.get(SEEN_KEY);
      const list: unknown = text === undefined ? [] : JSON.parse(text);
      if (!Array.isArray(list)) return;
      for (const e of list.slice(-MAX_REMEMBERED_IDS))
        if (Array.isArray(e) && typeof e[0] === "string" && typeof e[1] === "number")
          this.#seen.set(e[0], e[1]);
    } catch (e) {
      this.#o.log.warn(
        { err: e },
        `Command ids seen before the restart could not be read (${errorMessage(e)}); a replay of one inside its window would be taken`,
      );
    }
  }

  #save(): void {
    if (!this.#o.seen) return;
    try {
      this.#o.seen.set(SEEN_KEY, JSON.stringify([...this.#seen]));
    } catch (e) {
      // Storage failing must not stop an ack: the ids stay remembered in memory for this process.
      this.#o.log.warn(
        { err: e },
        `Command ids could not be stored (${errorMessage(e)}); they are remembered until the agent restarts`,
      );
    }
  }
}
