import { existsSync } from "node:fs";

/** Where systemd-timesyncd says it has synchronised the clock (systemd ≥ 239; gone at reboot). */
export const TIMESYNCD_DIR = "/run/systemd/timesync";

/** How long one look at the flag file is trusted: `wallSynced()` is asked at every message stamp. */
const RECHECK_MS = 1000;

/**
 * Whether the wall clock has been set by NTP, as systemd-timesyncd records it: the file
 * `synchronized` appears in its run directory at the first sync. A Pi has no real-time clock, so until
 * then wall time may be the last shutdown's (fake-hwclock) or 1970, and nothing dated by the cloud
 * (a command's expiry) can be checked against it. Where timesyncd does not run (its directory is
 * absent: chrony, a container, a machine with an RTC), the clock is taken as synced, as before.
 */
export function timesyncdSynced(
  dir: string = TIMESYNCD_DIR,
  now: () => number = () => performance.now(),
): () => boolean {
  let synced = false;
  let checkedAt = Number.NEGATIVE_INFINITY;
  return () => {
    // Once synced the flag stays: timesyncd never takes it back before a reboot.
    if (synced) return true;
    const t = now();
    if (t - checkedAt < RECHECK_MS) return false;
    checkedAt = t;
    synced = !existsSync(dir) || existsSync(`${dir}/synchronized`);
    return synced;
  };
}
