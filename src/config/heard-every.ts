import type { HeardEvery } from "../profiles/common.js";
import type { DeviceProfile } from "../profiles/schema.js";

/**
 * Per device, how often it is heard when well: the config's `heard_every`, else its profile's. A
 * device neither names is left out (judged by `degraded_after` alone).
 */
export function heardEveryByDevice(
  devices: readonly { id: string; profile: string; heard_every?: HeardEvery | undefined }[],
  profileOf: (profileId: string) => DeviceProfile | undefined,
): Map<string, HeardEvery> {
  const out = new Map<string, HeardEvery>();
  for (const d of devices) {
    const p = profileOf(d.profile);
    const fromProfile = p !== undefined && "heard_every" in p ? p.heard_every : undefined;
    const every = d.heard_every ?? fromProfile;
    if (every !== undefined) out.set(d.id, every);
  }
  return out;
}
