import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A real small filesystem for storage faults: a size-limited tmpfs (a full disk is a real ENOSPC /
 * SQLITE_FULL) that can be remounted read-only (a real EROFS). Needs root and mount(2) (a privileged
 * container); elsewhere `mountable()` says why not and the tests skip with that reason, except under
 * CI=true with HEARTH_REQUIRE_MOUNT=1, where it is a failure.
 */
export interface Tmpfs {
  dir: string;
  /** Writes a file of zeros until the filesystem is full (ENOSPC); returns its path. */
  fill(name?: string): string;
  readOnly(): void;
  readWrite(): void;
  unmount(): void;
}

let probed: string | undefined | null = null;

/** undefined when tmpfs can be mounted here; otherwise the reason it cannot. */
export function cannotMount(): string | undefined {
  if (probed !== null) return probed;
  const dir = mkdtempSync(join(tmpdir(), "hearth-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "ignore" });
    execFileSync("umount", [dir], { stdio: "ignore" });
    probed = undefined;
  } catch (e) {
    probed = `mount -t tmpfs is not permitted here (${(e as Error).message.split("\n")[0]})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (probed !== undefined && process.env.CI === "true" && process.env.HEARTH_REQUIRE_MOUNT === "1")
    throw new Error(`storage fault tests need tmpfs mounts under HEARTH_REQUIRE_MOUNT=1: ${probed}`);
  if (probed !== undefined) console.warn(`skipping real-filesystem storage faults: ${probed}`);
  return probed;
}

export function mountTmpfs(sizeBytes: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), "hearth-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes},mode=0700`, "tmpfs", dir]);
  return {
    dir,
    fill(name = "filler") {
      const path = join(dir, name);
      const fd = openSync(path, "a");
      const block = Buffer.alloc(4096);
      try {
        for (;;) writeSync(fd, block);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
      } finally {
        closeSync(fd);
      }
      return path;
    },
    readOnly: () => execFileSync("mount", ["-o", "remount,ro", dir]),
    readWrite: () => execFileSync("mount", ["-o", "remount,rw", dir]),
    unmount() {
      try {
        execFileSync("umount", ["-l", dir]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
