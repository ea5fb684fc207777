import { createHash, randomUUID } from "node:crypto";

/** Makes the unique ids of messages and alerts. Injected so that `hearth replay` is deterministic. */
export interface IdSource {
  next(kind: "msg" | "alert" | "cmd"): string;
}

export const randomIds: IdSource = { next: () => randomUUID() };

/** Deterministic, UUID-shaped ids from a seed and a counter (same input, same ids). */
export class SeededIds implements IdSource {
  #n = 0;
  constructor(private readonly seed: string) {}
  next(kind: "msg" | "alert" | "cmd"): string {
    const h = createHash("sha256")
      .update(`${this.seed}/${kind}/${this.#n++}`)
      .digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}
