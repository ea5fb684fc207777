import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/**
 * The import graph of a source tree, read with the TypeScript parser (not regular expressions), so
 * that no form of import slips past: static, side-effect, re-exports, `import type`, inline `type`
 * specifiers, `import("…")` in code and in type positions, and `import x = require(…)`.
 */

export interface Edge {
  from: string;
  /** An absolute path for a project file, or the bare package name. */
  to: string;
  /** Erased at build time: `import type`, `export type`, or only `type` specifiers, or a type query. */
  typeOnly: boolean;
  dynamic: boolean;
  line: number;
}

export interface Problem {
  file: string;
  line: number;
  what: string;
}

export interface Graph {
  root: string;
  files: string[];
  edges: Edge[];
  /** Imports that could not be read as a project file or a package: each is a failure. */
  problems: Problem[];
}

/** Every .ts file under the given folders of `root`. */
export function sourceFiles(root: string, folders: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) out.push(p);
    }
  };
  for (const f of folders) if (existsSync(join(root, f))) walk(join(root, f));
  return out;
}

function packageName(spec: string): string {
  if (spec.startsWith("node:")) return spec;
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
}

function resolveRelative(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts"), base];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** The imports of one file, with the problems found reading them. */
export function importsOf(file: string): { edges: Edge[]; problems: Problem[] } {
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edges: Edge[] = [];
  const problems: Problem[] = [];
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const add = (spec: string, node: ts.Node, typeOnly: boolean, dynamic: boolean) => {
    const line = lineOf(node);
    if (spec.startsWith(".")) {
      const to = resolveRelative(file, spec);
      if (to) edges.push({ from: file, to, typeOnly, dynamic, line });
      else problems.push({ file, line, what: `import "${spec}" resolves to no file` });
    } else if (spec.startsWith("/")) {
      problems.push({ file, line, what: `absolute import "${spec}"` });
    } else {
      edges.push({ from: file, to: packageName(spec), typeOnly, dynamic, line });
    }
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allTypeSpecifiers =
        clause !== undefined &&
        clause.name === undefined &&
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier.text, node, clause?.isTypeOnly === true || allTypeSpecifiers, false);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const named = node.exportClause;
      const allTypeSpecifiers =
        named !== undefined &&
        ts.isNamedExports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier.text, node, node.isTypeOnly || allTypeSpecifiers, false);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression;
      if (ts.isStringLiteral(expr)) add(expr.text, node, node.isTypeOnly, false);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) add(arg.text, node, false, true);
      else
        problems.push({
          file,
          line: lineOf(node),
          what: "import() of a computed name: the graph cannot follow it",
        });
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal))
        add(arg.literal.text, node, true, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { edges, problems };
}

export function buildGraph(root: string, folders: readonly string[]): Graph {
  const files = sourceFiles(root, folders);
  const edges: Edge[] = [];
  const problems: Problem[] = [];
  for (const f of files) {
    const r = importsOf(f);
    edges.push(...r.edges);
    problems.push(...r.problems);
  }
  return { root, files, edges, problems };
}

/** Strongly connected components with more than one node (or a node importing itself): the cycles. */
export function cycles(
  nodes: readonly string[],
  links: ReadonlyMap<string, ReadonlySet<string>>,
): string[][] {
  // Tarjan's algorithm, iterative so a deep chain cannot overflow the stack.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const start of nodes) {
    if (idx.has(start)) continue;
    const work: { node: string; next: string[] }[] = [];
    const enter = (n: string) => {
      idx.set(n, index);
      low.set(n, index);
      index++;
      stack.push(n);
      onStack.add(n);
      work.push({ node: n, next: [...(links.get(n) ?? [])] });
    };
    enter(start);
    while (work.length > 0) {
      const top = work[work.length - 1] as { node: string; next: string[] };
      const w = top.next.shift();
      if (w !== undefined) {
        if (!idx.has(w)) enter(w);
        else if (onStack.has(w))
          low.set(top.node, Math.min(low.get(top.node) as number, idx.get(w) as number));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(top.node) as number));
      if (low.get(top.node) === idx.get(top.node)) {
        const comp: string[] = [];
        for (;;) {
          const x = stack.pop() as string;
          onStack.delete(x);
          comp.push(x);
          if (x === top.node) break;
        }
        if (comp.length > 1 || links.get(top.node)?.has(top.node)) out.push(comp.sort());
      }
    }
  }
  return out;
}

/** Import cycles between project files, type-only imports included. */
export function fileCycles(g: Graph): string[][] {
  const links = new Map<string, Set<string>>();
  for (const e of g.edges) {
    if (!e.to.startsWith("/")) continue;
    const set = links.get(e.from) ?? new Set<string>();
    set.add(e.to);
    links.set(e.from, set);
  }
  return cycles(g.files, links).map((c) => c.map((f) => relative(g.root, f)));
}

/** The folder a file belongs to, relative to the root ("src/pipeline", "drivers/modbus/sim"). */
export function folderOf(g: Graph, file: string): string {
  return relative(g.root, dirname(file));
}

/** Import cycles between folders, type-only imports included. */
export function folderCycles(g: Graph): string[][] {
  const links = new Map<string, Set<string>>();
  const nodes = new Set<string>();
  for (const f of g.files) nodes.add(folderOf(g, f));
  for (const e of g.edges) {
    if (!e.to.startsWith("/")) continue;
    const a = folderOf(g, e.from);
    const b = folderOf(g, e.to);
    if (a === b) continue;
    const set = links.get(a) ?? new Set<string>();
    set.add(b);
    links.set(a, set);
  }
  return cycles([...nodes].sort(), links);
}

/** Every project file and package reachable from `entry` through imports that exist at run time. */
export function loadedBy(g: Graph, entry: string, options: { dynamic: boolean }): Set<string> {
  const byFrom = new Map<string, Edge[]>();
  for (const e of g.edges) byFrom.set(e.from, [...(byFrom.get(e.from) ?? []), e]);
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const f = stack.pop() as string;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const e of byFrom.get(f) ?? []) {
      if (e.typeOnly || (e.dynamic && !options.dynamic)) continue;
      if (e.to.startsWith("/")) stack.push(e.to);
      else seen.add(e.to);
    }
  }
  return seen;
}

/** Files longer than `max` lines whose opening comment does not say why (it must name the limit). */
export function longFiles(g: Graph, max: number): { file: string; lines: number }[] {
  const out: { file: string; lines: number }[] = [];
  for (const f of g.files) {
    const text = readFileSync(f, "utf8");
    const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    if (lines <= max) continue;
    const opening = /^\s*\/\*\*?([\s\S]*?)\*\//.exec(text)?.[1] ?? "";
    if (!new RegExp(`longer than ${max} lines because`, "i").test(opening.replace(/\s*\*\s*/g, " ")))
      out.push({ file: relative(g.root, f), lines });
  }
  return out;
}

/**
 * What each folder may import. `may` lists project folders (top two levels, "src/core"; "drivers/*"
 * for any driver); `packages` lists npm packages (node: built-ins are always allowed). A folder with no
 * rule is itself a violation, so a new folder cannot arrive without one.
 */
export interface FolderRule {
  may: readonly string[];
  packages: readonly string[];
}

/** "src/pipeline/x.ts" → "src/pipeline"; "drivers/modbus/sim/m.ts" → "drivers/modbus"; "src/schemas.ts" → "src". */
export function partOf(g: Graph, file: string): string {
  const parts = relative(g.root, file).split("/");
  return parts.length > 2 ? parts.slice(0, 2).join("/") : (parts[0] as string);
}

function allowed(rule: FolderRule, target: string): boolean {
  return rule.may.some((m) => m === target || (m.endsWith("/*") && target.startsWith(m.slice(0, -1))));
}

export function ruleViolations(g: Graph, rules: Readonly<Record<string, FolderRule>>): string[] {
  const out = new Set<string>();
  for (const f of g.files) {
    const part = partOf(g, f);
    if (!rules[part] && !Object.keys(rules).some((k) => k.endsWith("/*") && part.startsWith(k.slice(0, -1))))
      out.add(`${part}: no rule says what it may import`);
  }
  for (const e of g.edges) {
    const from = partOf(g, e.from);
    const rule =
      rules[from] ??
      Object.entries(rules).find(([k]) => k.endsWith("/*") && from.startsWith(k.slice(0, -1)))?.[1];
    if (!rule) continue;
    const where = `${relative(g.root, e.from)}:${e.line}`;
    if (e.to.startsWith("/")) {
      const to = partOf(g, e.to);
      if (to !== from && !allowed(rule, to))
        out.add(`${where} → ${relative(g.root, e.to)} (${from} may not import ${to})`);
    } else if (!e.to.startsWith("node:") && !rule.packages.includes(e.to)) {
      out.add(`${where} → package ${e.to} (not in ${from}'s packages)`);
    }
  }
  return [...out];
}
