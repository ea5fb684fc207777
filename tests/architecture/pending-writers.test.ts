import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/core/paths.js";
import { sourceFiles } from "./graph.js";

/**
 * The pending mirror (src/outbox/pending-mirror.ts) is not told of rows inserted into `messages` or
 * `pending` by a trigger, for speed: each writer that inserts them claims its rows or drops the mirror.
 * A new one must do the same; this list makes it look.
 */
const KNOWN = {
  // commit(): claims the rows it inserts (`appended`).
  "src/outbox/write.ts": 1,
  // insertHeld(): drops the mirror.
  "src/outbox/held-rows.ts": 1,
  // requeue(): its UPDATE of the rows is counted by the mirror's triggers.
  "src/outbox/delivery.ts": 1,
  // Migrations run before the connection's mirror is installed.
  "src/outbox/schema.ts": 3,
};

describe("who inserts pending rows", () => {
  it("only the writers the pending mirror knows of", () => {
    const root = packageRoot();
    const found: Record<string, number> = {};
    for (const f of sourceFiles(root, ["src", "drivers"])) {
      const n = readFileSync(f, "utf8").match(
        /INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(?:messages|pending)\b/gi,
      )?.length;
      if (n) found[relative(root, f)] = n;
    }
    expect(found).toEqual(KNOWN);
  });
});
