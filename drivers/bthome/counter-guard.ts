/**
 * Replay protection for a device with a bind key. Its encrypted adverts carry a counter that is part of
 * the nonce, so a counter that decrypts is authentic; it must go up from one advert to the next. The
 * last accepted counter survives restarts in a `CounterStore`, so an advert recorded today and played
 * back after a reboot is still refused.
 */

/** Where the last accepted encryption counter of each MAC survives restarts (SQLite in the agent). */
export interface CounterStore {
  get(mac: string): number | undefined;
  set(mac: string, counter: number): void;
}

export class MemoryCounterStore implements CounterStore {
  readonly #m = new Map<string, number>();
  get(mac: string): number | undefined {
    return this.#m.get(mac);
  }
  set(mac: string, counter: number): void {
    this.#m.set(mac, counter);
  }
}

/**
 * What an encrypted advert's counter says before it is decrypted: a copy of the advert just accepted
 * (BlueZ reports every repeat), a replay (the counter did not go up), or a counter not seen yet.
 */
export type CounterVerdict = { kind: "copy" } | { kind: "replay"; last: number } | { kind: "unseen" };

/** Smallest encrypted service data: information byte, one byte of objects, counter (4), MIC (4). */
const MIN_ENCRYPTED_LENGTH = 9;

/** The counter of encrypted service data (not yet authenticated), or undefined when too short to hold one. */
export function peekCounter(sd: Uint8Array): number | undefined {
  if (sd.length < MIN_ENCRYPTED_LENGTH) return undefined;
  return Buffer.from(sd.buffer, sd.byteOffset, sd.byteLength).readUInt32LE(sd.length - 8);
}

export class CounterGuard {
  readonly #mac: string;
  readonly #store: CounterStore;
  readonly #copyWindowMs: number;
  /** Mono time the last encrypted advert was accepted (this run only). */
  #acceptedAt: number | undefined;
  /**
   * The last accepted counter as this run knows it: ahead of the store when the store refused a write
   * (full disk), so replay protection holds while the process lives.
   */
  #last: number | undefined;

  /** `copyWindowMs`: how long after acceptance the same counter is a copy, not a replay. */
  constructor(mac: string, store: CounterStore, copyWindowMs: number) {
    this.#mac = mac;
    this.#store = store;
    this.#copyWindowMs = copyWindowMs;
  }

  /** Judges a counter before a decryption is spent on it. */
  check(counter: number, now: number): CounterVerdict {
    const last = this.#lastCounter();
    const recent = this.#acceptedAt !== undefined && now - this.#acceptedAt <= this.#copyWindowMs;
    if (last !== undefined && counter === last && recent) return { kind: "copy" };
    // The same counter long after (or after a restart) is a recording played back, not a copy.
    if (last !== undefined && counter <= last) return { kind: "replay", last };
    return { kind: "unseen" };
  }

  /**
   * Records an authenticated counter: in memory first, then in the store (before the advert is emitted,
   * so a durable press has its counter on disk with it). A store that refuses the write does not stop
   * the press: the error is returned for the caller to log, and the counter is kept in memory.
   */
  accepted(counter: number, now: number): unknown {
    this.#last = counter;
    this.#acceptedAt = now;
    return this.#persist(counter);
  }

  /** Forgets the last counter, so the next one is accepted whatever it is (device reset or re-keyed). */
  forget(): unknown {
    // -1: below any uint32 counter; the store interface has no delete.
    this.#last = -1;
    this.#acceptedAt = undefined;
    return this.#persist(-1);
  }

  #persist(counter: number): unknown {
    try {
      this.#store.set(this.#mac, counter);
      return undefined;
    } catch (e) {
      return e;
    }
  }

  #lastCounter(): number | undefined {
    if (this.#last !== undefined) return this.#last;
    try {
      this.#last = this.#store.get(this.#mac);
    } catch {
      // Unreadable store: judged as unseen; the decryption still authenticates the advert.
      return undefined;
    }
    return this.#last;
  }
}
