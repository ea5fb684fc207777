import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import { packageRoot } from "../../src/core/paths.js";
import { sourceFiles } from "./graph.js";

/**
 * Errors by code: every error the agent throws is a HearthError (or a subclass) with a code made for
 * it, every code exists because something throws or classifies by it, and nothing decides by reading
 * an error's message text.
 */
const root = packageRoot();
const files = sourceFiles(root, ["src", "drivers"]);
const rel = (f: string) => relative(root, f);

/** Classes declared in the product that extend HearthError, directly or through another. */
function hearthErrorClasses(): Set<string> {
  const parents = new Map<string, string>();
  for (const f of files) {
    const sf = ts.createSourceFile(f, readFileSync(f, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node) => {
      if (ts.isClassDeclaration(n) && n.name) {
        const ext = n.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
        if (ext) parents.set(n.name.text, ext.expression.getText(sf));
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  const out = new Set(["HearthError"]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [c, p] of parents)
      if (out.has(p) && !out.has(c)) {
        out.add(c);
        grew = true;
      }
  }
  return out;
}

/** `throw new X(…)` where X is not a HearthError, in a file's text. */
function foreignThrows(file: string, text: string, allowed: ReadonlySet<string>): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isThrowStatement(n) && ts.isNewExpression(n.expression)) {
      const name = n.expression.expression.getText(sf);
      if (!allowed.has(name))
        out.push(`${rel(file)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1} throws ${name}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Reading a message to decide: `.message.includes(…)`, `/…/.test(e.message)`, `message === "…"`. */
const MESSAGE_MATCH =
  /\.message\)?\s*\.(includes|startsWith|endsWith|match|search)\(|\.test\([^)]*\.message\b|\.message\s*===?\s*["'`]/;

describe("errors by code", () => {
  const allowed = hearthErrorClasses();

  it("every thrown error in src/ and drivers/ is a HearthError", () => {
    expect(allowed.has("CliExit")).toBe(true);
    const bad = files.flatMap((f) => foreignThrows(f, readFileSync(f, "utf8"), allowed));
    expect(bad).toEqual([]);
  });

  it("every code is used outside its definition", () => {
    const text = files
      .filter((f) => !f.endsWith("src/core/errors.ts"))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const unused = Object.keys(ErrorCode).filter((name) => !new RegExp(`ErrorCode\\.${name}\\b`).test(text));
    expect(unused).toEqual([]);
  });

  it("nothing classifies an error by its message text", () => {
    const bad = files.flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .flatMap((line, i) => (MESSAGE_MATCH.test(line) ? [`${rel(f)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(bad).toEqual([]);
  });

  it("the checks catch what they are for", () => {
    const sample = 'throw new Error("x");\nthrow new HearthError("y", 1);\nthrow new TypeError("z");\n';
    expect(foreignThrows(join(root, "x.ts"), sample, allowed)).toEqual([
      "x.ts:1 throws Error",
      "x.ts:3 throws TypeError",
    ]);
    expect(MESSAGE_MATCH.test("if (/not open/.test(e.message)) retry();")).toBe(true);
    expect(MESSAGE_MATCH.test('if (err.message.includes("queue full")) return;')).toBe(true);
    expect(MESSAGE_MATCH.test("log.warn({ err }, e.message);")).toBe(false);
  });
});
