import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { errorMessage } from "./errors.js";

/** One thing wrong with a file: where, what was found, what was expected. */
export interface Problem {
  file: string;
  /** Path in the document, e.g. `devices[1].unit_id`; empty for the whole file. */
  path: string;
  line?: number;
  column?: number;
  found?: string;
  expected?: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  const where = `${p.file}${p.line !== undefined ? `:${p.line}${p.column !== undefined ? `:${p.column}` : ""}` : ""}`;
  const path = p.path ? `${p.path}: ` : "";
  const detail =
    p.found !== undefined || p.expected !== undefined
      ? `found ${p.found ?? "nothing"}, expected ${p.expected ?? "something else"}`
      : p.message;
  return `${where}: ${path}${detail}`;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

export function pathToString(path: readonly PropertyKey[]): string {
  let s = "";
  for (const k of path) {
    if (typeof k === "number") s += `[${k}]`;
    else s += s ? `.${String(k)}` : String(k);
  }
  return s;
}

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return "a mapping";
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** The YAML node at `path`, or the nearest ancestor that exists (for a missing key: its mapping). */
function nodeAt(doc: { contents: unknown }, path: readonly PropertyKey[]): Node | undefined {
  let cur = doc.contents as Node | undefined;
  for (const k of path) {
    if (isMap(cur)) {
      const pair = cur.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === k);
      if (!pair) return cur;
      // A key whose value is empty has no value node; point at the key.
      cur = (pair.value ?? pair.key) as Node | undefined;
    } else if (isSeq(cur) && typeof k === "number") {
      const item = cur.items[k] as Node | undefined;
      if (!item) return cur;
      cur = item;
    } else {
      return cur;
    }
  }
  return cur;
}

function expectedOf(issue: z.core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return issue.expected;
    case "invalid_value":
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return issue.origin === "array"
        ? `at least ${String(issue.minimum)} item(s)`
        : issue.origin === "string"
          ? `at least ${String(issue.minimum)} character(s)`
          : `${issue.inclusive ? ">=" : ">"} ${String(issue.minimum)}`;
    case "too_big":
      return issue.origin === "array"
        ? `at most ${String(issue.maximum)} item(s)`
        : issue.origin === "string"
          ? `at most ${String(issue.maximum)} character(s)`
          : `${issue.inclusive ? "<=" : "<"} ${String(issue.maximum)}`;
    case "invalid_format":
      return issue.message.replace(/^Invalid (string: )?/i, "") || issue.format;
    case "unrecognized_keys":
      return "no such key";
    case "invalid_union":
      return issue.message;
    default:
      return issue.message;
  }
}

/**
 * A syntax error's message without the text of the scalar it could not place: that text runs on
 * across lines and can be a secret (a password after a mistyped key); line and column say where it is.
 */
function withoutScalar(message: string): string {
  return message.replace(/^(Unexpected [\w-]*scalar token in YAML stream): .*$/, "$1");
}

/**
 * Reads YAML text and validates it against `schema`, collecting every problem (syntax, schema) with
 * its path and line. Never throws for bad input.
 */
export function parseYamlWith<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  check?: (
    value: z.output<S>,
    at: (path: readonly PropertyKey[]) => { line?: number; column?: number },
  ) => Problem[],
): Parsed<z.output<S>> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const locate = (offset: number | undefined): { line?: number; column?: number } => {
    if (offset === undefined) return {};
    const pos = lc.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        file,
        path: "",
        ...locate(e.pos[0]),
        message: `not valid YAML: ${withoutScalar(e.message.split("\n")[0] ?? e.code)}`,
      })),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (e) {
    // The yaml package throws (ReferenceError) for an alias with no anchor and for an alias bomb.
    return {
      ok: false,
      problems: [{ file, path: "", message: `not valid YAML: ${errorMessage(e).split("\n")[0]}` }],
    };
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return {
      ok: false,
      problems: [
        { file, path: "", line: 1, found: describeValue(data), expected: "a YAML mapping", message: "" },
      ],
    };
  }
  const at = (path: readonly PropertyKey[]) => locate(nodeAt(doc, path)?.range?.[0]);
  const result = schema.safeParse(data, { reportInput: true });
  if (!result.success) {
    const problems: Problem[] = [];
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          const path = [...issue.path, key];
          problems.push({
            file,
            path: pathToString(path),
            ...at(path),
            found: `unknown key ${JSON.stringify(key)}`,
            expected: "no such key (check spelling)",
            message: "",
          });
        }
        continue;
      }
      const found = valueAt(data, issue.path);
      problems.push({
        file,
        path: pathToString(issue.path),
        ...at(issue.path),
        found: describeValue(found),
        expected: expectedOf(issue),
        message: issue.message,
      });
    }
    return { ok: false, problems };
  }
  const extra = check ? check(result.data, at) : [];
  if (extra.length > 0) return { ok: false, problems: extra };
  return { ok: true, value: result.data };
}
