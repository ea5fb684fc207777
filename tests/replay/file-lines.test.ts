import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../src/contract/messages.js";
import { fileLineBatches } from "../../src/replay/file-lines.js";
import { runReplay } from "../../src/replay/run.js";

async function collect(it: AsyncIterable<readonly string[]>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const b of it) out.push([...b]);
  return out;
}

describe("replay file input", () => {
  it("gives every line of a file larger than one read chunk, the last one without a newline too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-lines-"));
    const file = join(dir, "in.jsonl");
    // About 2.5 MiB: lines cross the 1 MiB chunk boundaries.
    const lines = Array.from({ length: 60_000 }, (_, i) => `line ${i} ${"x".repeat(i % 70)}`);
    lines[100] = "";
    // Longer than a read chunk: a chunk without any newline.
    lines[200] = "y".repeat(1_500_000);
    writeFileSync(file, lines.join("\n"));
    const batches = await collect(fileLineBatches(file));
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toEqual(lines);
  });

  it("keeps characters of several bytes whole where a read chunk ends inside one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-lines-"));
    const file = join(dir, "in.jsonl");
    // Mostly three-byte characters: the 1 MiB chunk boundaries fall inside one.
    const lines = Array.from({ length: 40_000 }, (_, i) => `${i} Küche ${"€".repeat(i % 40)}`);
    writeFileSync(file, `${lines.join("\n")}\n`);
    const batches = await collect(fileLineBatches(file));
    expect(batches.length).toBeGreaterThan(2);
    expect(batches.flat()).toEqual(lines);
  });

  it("replays batches as it replays the same lines one by one", async () => {
    const t0 = Date.parse("2026-03-02T07:00:00+08:00");
    const lines: string[] = [];
    for (let m = 0; m <= 20 * 60; m += 5) {
      const ts = new Date(t0 + m * 60_000 + 8 * 3_600_000).toISOString().replace("Z", "+08:00");
      lines.push(JSON.stringify({ ts, device: "meter-1", channel: "power_w", value: m === 10 ? 2100 : 40 }));
    }
    lines.splice(3, 0, "  ", "not json");
    const run = async (input: Iterable<string> | AsyncIterable<readonly string[]>) => {
      const out: Envelope[] = [];
      const problems: [number, string][] = [];
      await runReplay(input, { emit: (e) => out.push(e), problem: (n, r) => problems.push([n, r]) });
      return { out, problems };
    };
    async function* batches(): AsyncGenerator<string[]> {
      for (let i = 0; i < lines.length; i += 7) {
        await Promise.resolve();
        yield lines.slice(i, i + 7);
      }
    }
    const one = await run(lines);
    expect(one.out.some((e) => e.type === "alert")).toBe(true);
    expect(one.problems).toEqual([[5, "not JSON"]]);
    expect(await run(batches())).toEqual(one);
  });
});
