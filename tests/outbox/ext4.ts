import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

/**
 * A small ext4 filesystem on a loop device, mounted `errors=remount-ro` as an SD card's root usually
 * is, that can be made to fail while files on it are open: `failReadOnly` raises an ext4 error through
 * the kernel's own switch (`/sys/fs/ext4/<dev>/trigger_fs_error`), and the kernel remounts it
 * read-only at once, busy or not: what a failing card does under a running agent. (A busy tmpfs
 * cannot be remounted read-only, so this is the only way here to turn storage read-only mid-run.)
 * `repair` is the reboot's part without the reboot: unmount, `e2fsck -fy`, mount again writable.
 * Needs root, loop devices and mkfs.ext4; elsewhere `cannotFailExt4()` says why and tests skip.
 */
export interface FailingExt4 {
  dir: string;
  failReadOnly(): void;
  repair(): void;
  unmount(): void;
}

let probed: string | undefined | null = null;

/** undefined when an ext4 loop filesystem can be mounted and failed here; otherwise why not. */
export function cannotFailExt4(): string | undefined {
  if (probed !== null) return probed;
  let fs: FailingExt4 | undefined;
  try {
    fs = mountFailingExt4(8 * 1024 * 1024);
    if (!existsSync(triggerOf(fs.dir))) throw new Error("this kernel has no ext4 trigger_fs_error");
    probed = undefined;
  } catch (e) {
    probed = `an ext4 loop filesystem cannot be mounted and failed here (${(e as Error).message.split("\n")[0]})`;
  } finally {
    fs?.unmount();
  }
  if (probed !== undefined) console.warn(`skipping read-only-while-running faults: ${probed}`);
  return probed;
}

/** The loop device under a mount point, by /proc/self/mounts. */
function deviceOf(dir: string): string {
  const line = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .find((l) => l.split(" ")[1] === dir);
  if (!line) throw new Error(`${dir} is not mounted`);
  return line.split(" ")[0] as string;
}

function triggerOf(dir: string): string {
  return `/sys/fs/ext4/${basename(deviceOf(dir))}/trigger_fs_error`;
}

export function mountFailingExt4(sizeBytes: number): FailingExt4 {
  const home = mkdtempSync(join(tmpdir(), "hearth-ext4-"));
  const image = join(home, "card.img");
  const dir = join(home, "mnt");
  writeFileSync(image, Buffer.alloc(0));
  execFileSync("truncate", ["-s", String(sizeBytes), image]);
  execFileSync("mkfs.ext4", ["-q", "-F", image], { stdio: "ignore" });
  execFileSync("mkdir", ["-p", dir]);
  const mount = () => execFileSync("mount", ["-o", "loop,errors=remount-ro", image, dir], { stdio: "pipe" });
  const umount = () => execFileSync("umount", [dir], { stdio: "pipe" });
  mount();
  return {
    dir,
    failReadOnly: () => writeFileSync(triggerOf(dir), "1"),
    repair() {
      umount();
      try {
        execFileSync("e2fsck", ["-fy", image], { stdio: "ignore" });
      } catch (e) {
        // Exit 1 and 2 mean "errors corrected"; anything higher is a failure.
        const status = (e as { status?: number }).status ?? 8;
        if (status > 2) throw e;
      }
      mount();
    },
    unmount() {
      try {
        execFileSync("umount", ["-l", dir], { stdio: "ignore" });
      } catch {
        // Not mounted (a failed probe).
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
