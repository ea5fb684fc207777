import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/core/paths.js";

const root = packageRoot();

interface Edge {
  to: string;
  /** `import type` / `export type` are erased at build time. */
  typeOnly: boolean;
  dynamic: boolean;
}

const cache = new Map<string, Edge[]>();

/** Relative imports of one source file (static, re-exports and dynamic `import()`), resolved to .ts files. */
function importsOf(file: string): Edge[] {
  const hit = cache.get(file);
  if (hit) return hit;
  const text = readFileSync(file, "utf8");
  const edges: Edge[] = [];
  const add = (spec: string, typeOnly: boolean, dynamic: boolean) => {
    if (!spec.startsWith(".")) {
      edges.push({ to: spec, typeOnly, dynamic });
      return;
    }
    const target = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
    if (existsSync(target)) edges.push({ to: target, typeOnly, dynamic });
  };
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gms))
    add(m[3] as string, m[2] !== undefined, false);
  for (const m of text.matchAll(/import\(\s*"([^"]+)"\s*\)/g)) add(m[1] as string, false, true);
  cache.set(file, edges);
  return edges;
}

/** Every file reachable from `entry` through value imports (static and dynamic). */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const f = stack.pop() as string;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const e of importsOf(f)) if (!e.typeOnly && e.to.startsWith("/")) stack.push(e.to);
  }
  return seen;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

const rel = (p: string) => relative(root, p);

describe("which way the imports run (DESIGN.md)", () => {
  it("`hearth run` never loads a simulator", () => {
    const files = [...reachable(join(root, "src/cli/run.ts"))].map(rel);
    // The check can fail: the demo command does reach the simulators.
    const demo = [...reachable(join(root, "src/cli/demo.ts"))].map(rel);
    expect(demo.filter((f) => /(^|\/)sim\//.test(f)).length).toBeGreaterThan(0);
    expect(files.filter((f) => /(^|\/)sim\//.test(f))).toEqual([]);
    expect(files).toContain("src/agent/agent.ts");
  });

  it("drivers know no pipeline, outbox, uplink or agent", () => {
    const bad = sources(join(root, "drivers")).flatMap((f) =>
      importsOf(f)
        .filter(
          (e) =>
            /\/src\/(pipeline|outbox|uplink|agent|control|cli)\//.test(e.to) ||
            /^(mqtt|better-sqlite3)$/.test(e.to),
        )
        .map((e) => `${rel(f)} → ${e.to.startsWith("/") ? rel(e.to) : e.to}`),
    );
    expect(bad).toEqual([]);
  });

  it("the pipeline knows no MQTT, no SQL, no serial port, no outbox or uplink", () => {
    const bad = sources(join(root, "src/pipeline")).flatMap((f) =>
      importsOf(f)
        .filter(
          (e) =>
            /\/src\/(outbox|uplink|agent|control|cli)\/|\/drivers\//.test(e.to) ||
            /^(mqtt|better-sqlite3|serialport|@serialport\/|node-ble)/.test(e.to),
        )
        .map((e) => `${rel(f)} → ${e.to.startsWith("/") ? rel(e.to) : e.to}`),
    );
    expect(bad).toEqual([]);
  });

  it("the outbox and the uplink do not import each other, the pipeline or drivers", () => {
    const bad = [...sources(join(root, "src/outbox")), ...sources(join(root, "src/uplink"))].flatMap((f) => {
      const own = f.includes("/src/outbox/") ? "outbox" : "uplink";
      const other = own === "outbox" ? "uplink" : "outbox";
      return importsOf(f)
        .filter(
          (e) =>
            !e.typeOnly &&
            (new RegExp(`/src/(${other}|pipeline|agent|cli)/`).test(e.to) || e.to.includes("/drivers/")),
        )
        .map((e) => `${rel(f)} → ${rel(e.to)}`);
    });
    expect(bad).toEqual([]);
  });

  it("leaves (core, config, profiles, contract) import none of the parts", () => {
    const leaves = ["src/core", "src/config", "src/profiles", "src/contract"].flatMap((d) =>
      sources(join(root, d)),
    );
    const bad = leaves.flatMap((f) =>
      importsOf(f)
        .filter((e) => /\/src\/(pipeline|outbox|uplink|agent|control|cli|sim)\/|\/drivers\//.test(e.to))
        .map((e) => `${rel(f)} → ${rel(e.to)}`),
    );
    expect(bad).toEqual([]);
  });
});
