import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildGraph, fileCycles, folderCycles, loadedBy, longFiles, ruleViolations } from "./graph.js";

/** The architecture checks, run on small made-up trees, to show each one fails when it should. */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "hearth-arch-"));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("architecture checks on made-up trees", () => {
  it("find a cycle made only of type imports, in any spelling", () => {
    const root = tree({
      "src/a/x.ts": 'import type { Y } from "../b/y.js";\nexport type X = Y;\n',
      "src/b/y.ts": 'import { type X } from "../a/x.js";\nexport type Y = { x?: X };\n',
      "src/c/z.ts": 'export type Z = import("../c/w.js").W;\n',
      "src/c/w.ts": 'export type { Z as W } from "./z.js";\n',
    });
    const g = buildGraph(root, ["src"]);
    expect(g.edges.every((e) => e.typeOnly)).toBe(true);
    expect(fileCycles(g)).toEqual([
      ["src/a/x.ts", "src/b/y.ts"],
      ["src/c/w.ts", "src/c/z.ts"],
    ]);
    expect(folderCycles(g)).toEqual([["src/a", "src/b"]]);
  });

  it("find a cycle between folders that no two files close", () => {
    const root = tree({
      "drivers/radio/scan.ts": 'import { decode } from "../proto/codec.js";\nexport const s = decode;\n',
      "drivers/proto/codec.ts": "export const decode = 1;\n",
      "drivers/proto/receiver.ts": 'import { s } from "../radio/scan.js";\nexport const r = s;\n',
    });
    const g = buildGraph(root, ["drivers"]);
    expect(fileCycles(g)).toEqual([]);
    expect(folderCycles(g)).toEqual([["drivers/proto", "drivers/radio"]]);
  });

  it("report an import against the folder rules, a type-only one included, and a folder with no rule", () => {
    const root = tree({
      "src/core/clock.ts": 'import type { Cfg } from "../config/schema.js";\nexport type C = Cfg;\n',
      "src/config/schema.ts":
        'import { z } from "zod";\nexport type Cfg = z.infer<typeof s>;\nconst s = z.string();\n',
      "src/pipeline/p.ts": 'import mqtt from "mqtt";\nexport const m = mqtt;\n',
      "src/newpart/n.ts": "export const n = 1;\n",
    });
    const g = buildGraph(root, ["src"]);
    const v = ruleViolations(g, {
      "src/core": { may: [], packages: [] },
      "src/config": { may: ["src/core"], packages: ["zod"] },
      "src/pipeline": { may: ["src/core"], packages: [] },
    });
    expect(v).toContain("src/core/clock.ts:1 → src/config/schema.ts (src/core may not import src/config)");
    expect(v).toContain("src/pipeline/p.ts:1 → package mqtt (not in src/pipeline's packages)");
    expect(v).toContain("src/newpart: no rule says what it may import");
    expect(v).toHaveLength(3);
  });

  it("report a computed import() and an import of a file that does not exist", () => {
    const root = tree({
      "src/a/x.ts": 'const name = "./y.js";\nexport const m = await import(name);\nimport "./gone.js";\n',
    });
    const g = buildGraph(root, ["src"]);
    expect(g.problems.map((p) => `${p.line} ${p.what}`)).toEqual([
      "2 import() of a computed name: the graph cannot follow it",
      '3 import "./gone.js" resolves to no file',
    ]);
  });

  it("follow only run-time imports when asking what a command loads", () => {
    const root = tree({
      "src/cli/run.ts":
        'import type { D } from "../sim/demo.js";\nexport async function r(d?: D) { return import("../agent/a.js"); }\n',
      "src/agent/a.ts": 'import "better-sqlite3";\nexport const a = 1;\n',
      "src/sim/demo.ts": 'import "aedes";\nexport type D = 1;\n',
    });
    const g = buildGraph(root, ["src"]);
    const all = loadedBy(g, join(root, "src/cli/run.ts"), { dynamic: true });
    expect([...all].some((f) => f.endsWith("src/agent/a.ts"))).toBe(true);
    expect(all.has("better-sqlite3")).toBe(true);
    expect(all.has("aedes")).toBe(false);
    const atStart = loadedBy(g, join(root, "src/cli/run.ts"), { dynamic: false });
    expect(atStart.has("better-sqlite3")).toBe(false);
  });

  it("flag a long file unless its opening comment says why", () => {
    const body = "export const x = 1;\n".repeat(401);
    const root = tree({
      "src/a/long.ts": `/** Many things. */\n${body}`,
      "src/a/table.ts": `/**\n * The object table of the specification: longer than 400 lines because it is one table.\n */\n${body}`,
      "src/a/short.ts": "export const y = 2;\n".repeat(400),
    });
    const g = buildGraph(root, ["src"]);
    expect(longFiles(g, 400)).toEqual([{ file: "src/a/long.ts", lines: 402 }]);
  });
});
