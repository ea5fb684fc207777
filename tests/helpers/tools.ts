import { execFileSync } from "node:child_process";

/**
 * Whether an outside tool (mosquitto, socat, dbusmock, pymodbus, mbpoll, openssl) is here. A test that
 * needs one skips with the reason where it is missing; under CI=true a missing tool is a failure.
 */
export function haveTool(cmd: string, args: string[] = ["--help"]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch (e) {
    // A tool that exists but exits non-zero for --help is still there.
    return (e as NodeJS.ErrnoException).code !== "ENOENT" && (e as { status?: number }).status !== 127;
  }
}

/** Returns true when the tool is present; throws under CI=true when it is not. */
export function requireTool(name: string, present: boolean, hint: string): boolean {
  if (present) return true;
  if (process.env.CI === "true") throw new Error(`${name} is missing under CI=true: ${hint}`);
  console.warn(`skipping tests that need ${name}: ${hint}`);
  return false;
}
