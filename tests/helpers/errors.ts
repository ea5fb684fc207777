import { expect } from "vitest";
import { type ErrorCode, HearthError } from "../../src/core/errors.js";

/** The HearthError `fn` throws; anything else thrown, or nothing, fails the test. */
export function thrown(fn: () => unknown): HearthError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HearthError) return e;
    throw e;
  }
  throw new Error("expected a HearthError");
}

/** The HearthError `p` rejects with; a resolution or another rejection fails the test. */
export async function rejection(p: Promise<unknown>): Promise<HearthError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof HearthError)) throw new Error(`expected a HearthError, got ${String(e)}`);
  return e;
}

/** `fn` throws a HearthError with `code` and, when given, the byte `offset` in its context. */
export function expectFrameError(fn: () => unknown, code: ErrorCode, offset?: number): void {
  const e = thrown(fn);
  expect(e.code).toBe(code);
  if (offset !== undefined) expect(e.context.offset).toBe(offset);
}
