/** What `durablyThenPublish` needs of the agent, read at each call (both are made in its constructor). */
export interface DurableParts {
  readonly outbox: { durably<T>(fn: () => T): T };
  readonly uplink: { drainNow(): void };
}

/**
 * The agent's `durably` (what one advert or one pipeline tick writes, made durable with one fsync,
 * docs/decisions/0004-outbox.md), with the uplink's pass right after the outermost group's end: a
 * press's alert leaves as soon as its fsync returns, not after whatever else the driver's call does
 * (docs/decisions/uplink-drain.md). Every group of the agent goes through here, so the depth counted
 * here is the outbox's: an inner group's end is not yet durable, and publishes nothing.
 */
export function durablyThenPublish(parts: DurableParts): <T>(fn: () => T) => T {
  let depth = 0;
  return <T>(fn: () => T): T => {
    depth++;
    try {
      return parts.outbox.durably(fn);
    } finally {
      depth--;
      if (depth === 0) parts.uplink.drainNow();
    }
  };
}
