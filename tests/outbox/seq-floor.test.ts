import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { MAX_SEQ_BLOCK, RATE_WINDOW_MS, SEQ_BLOCK, SeqFloor } from "../../src/outbox/seq-floor.js";

const dir = mkdtempSync(join(tmpdir(), "hearth-seq-floor-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A floor beside a fresh outbox path, on a clock the test moves; `mark()` reads the file. */
function floor() {
  const path = join(dir, `outbox-${n++}.db`);
  let now = 0;
  const f = new SeqFloor(path, silentLogger(), () => now);
  return {
    f,
    advance: (ms: number) => {
      now += ms;
    },
    mark: () => Number(readFileSync(`${path}.seq`, "utf8")),
  };
}

describe("the seq mark's reservation", () => {
  it("moves SEQ_BLOCK ahead at a home's usual rate, and only when a seq passes it", () => {
    const { f, advance, mark } = floor();
    f.cover(1);
    expect(mark()).toBe(1 + SEQ_BLOCK);
    f.cover(SEQ_BLOCK);
    expect(mark()).toBe(1 + SEQ_BLOCK);
    // A block used over an hour: the next is SEQ_BLOCK again.
    advance(60 * RATE_WINDOW_MS);
    f.cover(2 + SEQ_BLOCK);
    expect(mark()).toBe(2 + 2 * SEQ_BLOCK);
    expect(f.read()).toBe(mark());
  });

  it("covers about a minute at the rate of a burst, at most MAX_SEQ_BLOCK, and drops back after it", () => {
    const { f, advance, mark } = floor();
    f.cover(1);
    // 1,000 seqs in 10 s: a minute at that rate is 6,000.
    advance(RATE_WINDOW_MS / 6);
    f.cover(2 + SEQ_BLOCK);
    expect(mark()).toBe(2 + SEQ_BLOCK + 6 * (1 + SEQ_BLOCK));
    // 7,001 seqs in 1 ms: capped.
    const at = mark() + 1;
    advance(1);
    f.cover(at);
    expect(mark()).toBe(at + MAX_SEQ_BLOCK);
    // The burst is over: a block that took longer than the window gives SEQ_BLOCK again.
    advance(2 * RATE_WINDOW_MS);
    const later = mark() + 1;
    f.cover(later);
    expect(mark()).toBe(later + SEQ_BLOCK);
  });
});
