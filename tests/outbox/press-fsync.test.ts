import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { haveTool, requireTool } from "../helpers/tools.js";

const HAVE_STRACE = requireTool("strace", haveTool("strace", ["-V"]), "apt-get install strace");
const PRESSES = 10;
const dirs: string[] = [];

/** fsync and fdatasync calls of one run of press-fsync-child.ts, counted by strace. */
function fsyncs(presses: number, mode: "grouped" | "plain"): { syncs: number; calls: number } {
  const dir = mkdtempSync(join(tmpdir(), "hearth-fsync-"));
  dirs.push(dir);
  const trace = join(dir, "strace.txt");
  const out = execFileSync(
    "strace",
    [
      "-f",
      "-qq",
      // Each fd's path, so that only the outbox's own files count: the loader's esbuild child (a Go
      // program) syncs files of its own now and then.
      "-y",
      "-e",
      "trace=fsync,fdatasync",
      "-o",
      trace,
      process.execPath,
      join("node_modules", "vite-node", "vite-node.mjs"),
      "tests/outbox/press-fsync-child.ts",
      dir,
      String(presses),
      mode,
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  const report = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { calls: number };
  // One line per call opens with its name: a whole one, or (another thread's call interleaved) one
  // ending `<unfinished ...>` whose `<... fsync resumed>` line follows. Counting only whole lines
  // missed every interrupted call, which a loaded machine makes common.
  const syncs = readFileSync(trace, "utf8")
    .split("\n")
    .filter((l) => /\b(fsync|fdatasync)\(/.test(l) && l.includes(dir)).length;
  return { syncs, calls: report.calls };
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!HAVE_STRACE)("the press path pays one fsync (strace)", () => {
  it("a press's counter, call alert and button event become durable with one fsync; without the group, two", () => {
    // From one press to 1 + PRESSES: what the first message after start pays once (the seq floor's
    // file, the device coming online) cancels out.
    const base = fsyncs(1, "grouped");
    const grouped = fsyncs(1 + PRESSES, "grouped");
    const plainBase = fsyncs(1, "plain");
    const plain = fsyncs(1 + PRESSES, "plain");
    // Every press raised its call in both runs: the same work, written differently.
    expect(grouped.calls).toBe(1 + PRESSES);
    expect(plain.calls).toBe(1 + PRESSES);
    expect(grouped.syncs - base.syncs).toBe(PRESSES);
    // Each on its own: the alert and the event each commit with an fsync (the counter never had one).
    expect(plain.syncs - plainBase.syncs).toBe(2 * PRESSES);
  }, 240_000);
});
