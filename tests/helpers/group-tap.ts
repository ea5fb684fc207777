/**
 * Wraps an outbox's `durably` (on the instance, which the agent calls through) so that `ended` runs each
 * time an outermost durable group returns: its one commit is done then. Returns whether a group is
 * running now.
 */
export function tapGroups(outbox: { durably<T>(fn: () => T): T }, ended: () => void): () => boolean {
  const durably = outbox.durably.bind(outbox);
  let depth = 0;
  outbox.durably = <T>(fn: () => T): T => {
    depth++;
    try {
      return durably(fn);
    } finally {
      depth--;
      if (depth === 0) ended();
    }
  };
  return () => depth > 0;
}
