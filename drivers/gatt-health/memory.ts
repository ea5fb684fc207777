/**
 * The records already received, so that a device sending its stored records again (after a dropped
 * connection, or because it was never told they arrived) is not counted twice. Keys are hashed: the
 * store must not hold health values. A record with a time stamp is remembered long (its bytes only
 * recur if it is the same record); one without is remembered only briefly, or a second, identical
 * measurement on another day would be lost.
 */
import { createHash } from "node:crypto";
import { DAY_MS, MINUTE_MS } from "../../src/core/time.js";

export interface MemoryStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

const STORE_KEY = "gatt_health.seen";
const MAX_KEYS = 2000;
export const REMEMBER_STAMPED_MS = 400 * DAY_MS;
export const REMEMBER_UNSTAMPED_MS = 30 * MINUTE_MS;

export class RecordMemory {
  /** Hashed key → wall ms until which it is remembered. */
  readonly #seen = new Map<string, number>();
  readonly #store: MemoryStore | undefined;

  constructor(store?: MemoryStore) {
    this.#store = store;
    const saved = store?.get(STORE_KEY);
    if (!saved) return;
    try {
      const rows = JSON.parse(saved) as unknown;
      if (Array.isArray(rows))
        for (const r of rows)
          if (Array.isArray(r) && typeof r[0] === "string" && typeof r[1] === "number")
            this.#seen.set(r[0], r[1]);
    } catch {
      // A damaged list only means a record may be counted twice; it is rewritten at the next record.
    }
  }

  /** True the first time a record is offered (and remembers it); false when it was seen and is still remembered. */
  first(key: string, stamped: boolean, nowWall: number): boolean {
    const h = createHash("sha256").update(key).digest("hex").slice(0, 24);
    const until = this.#seen.get(h);
    if (until !== undefined && until > nowWall) return false;
    this.#seen.delete(h);
    this.#seen.set(h, nowWall + (stamped ? REMEMBER_STAMPED_MS : REMEMBER_UNSTAMPED_MS));
    for (const [k, u] of this.#seen) if (u <= nowWall || this.#seen.size > MAX_KEYS) this.#seen.delete(k);
    this.#store?.set(STORE_KEY, JSON.stringify([...this.#seen]));
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }
}
