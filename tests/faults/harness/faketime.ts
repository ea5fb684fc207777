import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { haveTool, requireTool } from "../../helpers/tools.js";

/**
 * libfaketime (Debian's `faketime` package) for one child: its wall clock follows an offset kept in a
 * file the test rewrites, while CLOCK_MONOTONIC stays true (FAKETIME_DONT_FAKE_MONOTONIC=1). The
 * machine's clock is never touched. The library is preloaded directly rather than through the
 * `faketime` wrapper, because the wrapper's FAKETIME variable would win over the file.
 */
export interface FakeClock {
  /** Environment for the child. */
  env: NodeJS.ProcessEnv;
  /** Sets the child's wall-clock offset from the real time: "+0", "-3y", "+2d" (libfaketime syntax). */
  set(offset: string): void;
  /** How long the child may take to notice a new offset (libfaketime re-reads the file each second). */
  readonly noticeMs: number;
}

function findLibfaketime(): string | undefined {
  const dirs = ["/usr/lib/faketime"];
  try {
    for (const d of readdirSync("/usr/lib")) dirs.push(join("/usr/lib", d, "faketime"));
  } catch {
    // no /usr/lib: not a Debian-like system
  }
  return dirs.map((d) => join(d, "libfaketime.so.1")).find((p) => existsSync(p));
}

const lib = haveTool("faketime", ["--help"]) ? findLibfaketime() : undefined;

/** Whether the clock-jump scenarios run here; under CI=true a missing libfaketime is a failure. */
export function faketimeAvailable(): boolean {
  return requireTool(
    "faketime",
    lib !== undefined,
    "install the Debian package: apt-get install -y faketime",
  );
}

export function fakeClock(file: string): FakeClock {
  if (!lib) throw new Error("libfaketime not found");
  writeFileSync(file, "+0\n");
  return {
    env: {
      LD_PRELOAD: lib,
      FAKETIME_TIMESTAMP_FILE: file,
      FAKETIME_DONT_FAKE_MONOTONIC: "1",
      FAKETIME_CACHE_DURATION: "1",
    },
    set(offset) {
      writeFileSync(file, `${offset}\n`);
    },
    noticeMs: 1_500,
  };
}
