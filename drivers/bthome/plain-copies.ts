/**
 * Folding the repeated copies of a plain (unencrypted) advert into one. A device repeats each advert
 * several times and BlueZ reports every copy; copies share a packet id (or, without one, their bytes).
 * The packet id is one byte and wraps, so identity only holds within a window.
 */
import type { BthomeFrame } from "./frame.js";

/** Bound on remembered plain adverts per device (a packet id has 256 values). */
const MAX_RECENT_PLAIN = 256;

/** What makes two plain adverts copies of one: the packet id, or the bytes when there is none. */
export function plainIdentity(frame: BthomeFrame, sd: Uint8Array): string {
  return frame.packetId !== undefined ? `p${frame.packetId}` : `b${Buffer.from(sd).toString("hex")}`;
}

export class PlainCopies {
  readonly #windowMs: number;
  /**
   * Adverts accepted within the window: identity → mono time accepted. A set, not just the last one: a
   * late echo of the previous press can arrive after the next press has started.
   */
  readonly #recent = new Map<string, number>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Whether this advert is a copy of one accepted within the window; if not, it is remembered. */
  isCopy(identity: string, now: number): boolean {
    for (const [k, at] of this.#recent) if (now - at > this.#windowMs) this.#recent.delete(k);
    if (this.#recent.has(identity)) return true;
    if (this.#recent.size >= MAX_RECENT_PLAIN) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
    this.#recent.set(identity, now);
    return false;
  }
}
