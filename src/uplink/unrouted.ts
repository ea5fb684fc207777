/** Most seqs remembered as taken with "no matching subscribers" (test-alert asks about one at a time). */
export const MAX_UNROUTED = 64;

/**
 * seq → topic for the latest publishes whose PUBACK said nobody subscribed (the broker dropped the
 * message), oldest first; at most MAX_UNROUTED of them.
 */
export class UnroutedSeqs {
  readonly #seqs = new Map<number, string>();

  get(seq: number): string | undefined {
    return this.#seqs.get(seq);
  }

  /** What the PUBACK for `seq` on `topic` said. */
  note(seq: number, topic: string, unrouted: boolean): void {
    this.#seqs.delete(seq);
    if (!unrouted) return;
    this.#seqs.set(seq, topic);
    if (this.#seqs.size > MAX_UNROUTED) {
      const oldest = this.#seqs.keys().next().value as number;
      this.#seqs.delete(oldest);
    }
  }
}
