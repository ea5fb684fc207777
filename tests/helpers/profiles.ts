import { loadCatalogue } from "../../src/profiles/catalogue.js";
import type { Timing } from "../../src/profiles/common.js";
import type { DeviceProfile } from "../../src/profiles/schema.js";

/** A profile of device-profiles/, with timing overrides so tests run fast. */
export function loadProfile<P extends DeviceProfile["protocol"]>(
  id: string,
  protocol: P,
  timing: Partial<Timing> = {},
): Extract<DeviceProfile, { protocol: P }> {
  const p = loadCatalogue().profiles.get(id);
  if (!p) throw new Error(`test setup: no profile ${id} in device-profiles/`);
  if (p.protocol !== protocol) throw new Error(`test setup: profile ${id} is ${p.protocol}, not ${protocol}`);
  const withTiming = "timing" in p ? { ...p, timing: { ...p.timing, ...timing } } : p;
  return withTiming as Extract<DeviceProfile, { protocol: P }>;
}
