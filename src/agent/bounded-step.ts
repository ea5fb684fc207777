import { ErrorCode, HearthError } from "../core/errors.js";
import { SECOND_MS } from "../core/time.js";

/** Longest a single step of `stop()` may take before the next one runs: ten steps stay within systemd's 90 s. */
export const STOP_STEP_MS = 5 * SECOND_MS;

/** Runs one stop step, giving up on it (a Timeout error) after STOP_STEP_MS of wall time. */
export async function bounded(name: string, run: () => unknown): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HearthError(`stop step ${name} took over ${STOP_STEP_MS} ms`, ErrorCode.Timeout)),
      STOP_STEP_MS,
    );
    timer.unref();
  });
  try {
    await Promise.race([Promise.resolve().then(run), late]);
  } finally {
    clearTimeout(timer);
  }
}
