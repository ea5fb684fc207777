/**
 * The fuzzing harness shared by the CI property tests (tests/fuzz/*.test.ts, few cases) and the
 * on-demand runner (tests/fuzz/run.ts, `npm run fuzz`, 10^6 cases per target). A target is an
 * arbitrary and a `run` that may return, or throw a typed HearthError; anything else thrown (a
 * TypeError, a RangeError, a HearthError with code Internal, a failed round-trip assertion) is an
 * escape, and fast-check shrinks it to a small counterexample.
 */

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { ErrorCode, HearthError } from "../../src/core/errors.js";

export interface FuzzTarget<T = unknown> {
  /** Stable name, for `npm run fuzz -- --target NAME`. */
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<T>;
  /** One case. Returning (or resolving) is a pass; throwing a typed HearthError is a counted pass. */
  run(input: T): void | Promise<void>;
  /** Cases in CI (the property tests); the whole folder must stay well under a minute on 2 cores. */
  readonly ciRuns: number;
  /** Error codes this target may throw; default: every code but Internal. */
  readonly allowed?: ReadonlySet<ErrorCode>;
  /** Set when `run` is async (the dispatcher, the control socket): checked with fc.asyncProperty. */
  readonly async?: boolean;
}

/** A failed round trip or invariant: never typed, so it always counts as an escape. */
export class FuzzInvariantError extends Error {
  override readonly name = "FuzzInvariantError";
}

export function invariant(ok: boolean, what: string): asserts ok {
  if (!ok) throw new FuzzInvariantError(what);
}

const CODE_NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));
const KNOWN_CODES = new Set<number>(Object.values(ErrorCode));

export function codeName(code: number): string {
  return CODE_NAMES.get(code) ?? `unknown(${code})`;
}

/** A HearthError with a real code that the target allows, and never Internal (a bug by definition). */
export function isTyped(e: unknown, allowed?: ReadonlySet<ErrorCode>): e is HearthError {
  if (!(e instanceof HearthError) || !KNOWN_CODES.has(e.code) || e.code === ErrorCode.Internal) return false;
  return allowed === undefined || allowed.has(e.code);
}

export interface FuzzReport {
  target: string;
  cases: number;
  /** Typed errors seen, by code name. */
  typed: Record<string, number>;
  /** The shrunk counterexample and the error, when something escaped. */
  escape?: { counterexample: string; error: string; seed: number; path?: string };
  heapBeforeMiB: number;
  /** Heap after gc at the end of each chunk: flat means bounded. */
  heapAfterChunksMiB: number[];
  heapAfterMiB: number;
  ms: number;
}

let gcFn: (() => void) | undefined;
/** Node's gc, without needing --expose-gc on the command line (for heap figures that mean something). */
export function gc(): void {
  if (!gcFn) {
    setFlagsFromString("--expose-gc");
    gcFn = runInNewContext("gc") as () => void;
  }
  gcFn();
}

function heapMiB(): number {
  gc();
  gc();
  return Math.round((process.memoryUsage().heapUsed / 2 ** 20) * 10) / 10;
}

function show(v: unknown): string {
  const s = fc.stringify(v);
  return s.length > 2000 ? `${s.slice(0, 2000)}… (${s.length} characters)` : s;
}

/**
 * Runs `numRuns` cases of `target` in `chunks` chunks (seed, seed+1, …), measuring the heap after gc
 * at the end of each, and stops at the first escape. Typed errors are counted by code.
 */
export async function fuzz<T>(
  target: FuzzTarget<T>,
  options: { numRuns: number; seed?: number; chunks?: number },
): Promise<FuzzReport> {
  const seed = options.seed ?? 0x4ea27;
  const chunks = Math.max(1, Math.min(options.chunks ?? 1, options.numRuns));
  const typed: Record<string, number> = {};
  const record = (e: unknown) => {
    if (!isTyped(e, target.allowed)) throw e;
    const n = codeName(e.code);
    typed[n] = (typed[n] ?? 0) + 1;
  };
  const heapBeforeMiB = heapMiB();
  const heapAfterChunksMiB: number[] = [];
  const started = performance.now();
  let cases = 0;
  let escaped: FuzzReport["escape"];
  for (let c = 0; c < chunks && !escaped; c++) {
    const numRuns = Math.floor(options.numRuns / chunks) + (c < options.numRuns % chunks ? 1 : 0);
    const params = { numRuns, seed: seed + c, endOnFailure: false };
    const details = target.async
      ? await fc.check(
          fc.asyncProperty(target.arbitrary, async (x) => {
            try {
              await target.run(x);
            } catch (e) {
              record(e);
            }
          }),
          params,
        )
      : fc.check(
          fc.property(target.arbitrary, (x) => {
            try {
              const r = target.run(x);
              if (r instanceof Promise) throw new FuzzInvariantError("a sync target returned a promise");
            } catch (e) {
              record(e);
            }
          }),
          params,
        );
    cases += details.numRuns;
    if (details.failed) {
      const err = details.errorInstance;
      escaped = {
        counterexample: show(details.counterexample?.[0]),
        error: err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ""}` : String(err),
        seed: params.seed,
        ...(details.counterexamplePath ? { path: details.counterexamplePath } : {}),
      };
    }
    heapAfterChunksMiB.push(heapMiB());
  }
  const ms = Math.round(performance.now() - started);
  return {
    target: target.name,
    cases,
    typed,
    ...(escaped ? { escape: escaped } : {}),
    heapBeforeMiB,
    heapAfterChunksMiB,
    heapAfterMiB: heapAfterChunksMiB.at(-1) ?? heapBeforeMiB,
    ms,
  };
}

// ---- arbitraries every codec target uses --------------------------------------------------------

type Edit =
  | { op: "flip"; at: number; bit: number }
  | { op: "set"; at: number; byte: number }
  | { op: "insert"; at: number; byte: number }
  | { op: "delete"; at: number }
  | { op: "truncate"; at: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
);

function applyEdits(base: Uint8Array, edits: readonly Edit[]): Uint8Array {
  const b = Array.from(base);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % (b.length + (e.op === "insert" ? 1 : 0));
    if (e.op === "flip" && b.length > 0) b[at] = (b[at] as number) ^ (1 << e.bit);
    else if (e.op === "set" && b.length > 0) b[at] = e.byte;
    else if (e.op === "insert") b.splice(at, 0, e.byte);
    else if (e.op === "delete") b.splice(at, 1);
    else if (e.op === "truncate") b.length = at;
  }
  return Uint8Array.from(b);
}

/** Valid bytes with a few edits (a bit flipped, a byte set, inserted, deleted, the tail cut), or none. */
export function mutated(valid: fc.Arbitrary<Uint8Array>, maxEdits = 4): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(valid, fc.array(edit, { maxLength: maxEdits }))
    .map(([base, edits]) => applyEdits(base, edits));
}

/** Noise, valid frames, and valid frames with edits: what a bus or a radio delivers. */
export function wireBytes(valid: fc.Arbitrary<Uint8Array>, maxNoise = 300): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: maxNoise }) },
    { weight: 1, arbitrary: valid },
    { weight: 3, arbitrary: mutated(valid) },
  );
}

type TextEdit = { op: "delete" | "insert" | "replace"; at: number; len: number; text: string };

/** Text with a few edits (cut, pasted, overwritten spans): a hand-edited YAML file gone wrong. */
export function mutatedText(valid: fc.Arbitrary<string>, maxEdits = 3): fc.Arbitrary<string> {
  const textEdit: fc.Arbitrary<TextEdit> = fc.record({
    op: fc.constantFrom("delete" as const, "insert" as const, "replace" as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 12 }),
    text: fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom(
        ":",
        "- ",
        "\n",
        "  ",
        "{",
        "}",
        "[",
        "]",
        '"',
        "'",
        "#",
        "&a",
        "*a",
        "!!str ",
        "~",
        "\t",
      ),
    ),
  });
  return fc.tuple(valid, fc.array(textEdit, { maxLength: maxEdits })).map(([base, edits]) => {
    let s = base;
    for (const e of edits) {
      const at = e.at % (s.length + 1);
      if (e.op === "delete") s = s.slice(0, at) + s.slice(at + e.len);
      else if (e.op === "insert") s = s.slice(0, at) + e.text + s.slice(at);
      else s = s.slice(0, at) + e.text + s.slice(at + e.len);
    }
    return s;
  });
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString("hex");
