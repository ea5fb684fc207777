import type { DeviceProfile } from "../profiles/schema.js";

/** Channels that tell a person moving in the room (a PIR, a presence radar). */
const MOTION_CHANNELS: ReadonlySet<string> = new Set(["motion", "occupancy"]);

/**
 * Whether the home has a motion or presence sensor among its devices' profiles: what
 * `detection.prealarm.limits.usual_stillness: auto` turns on with (its learned limits need the short
 * silences a motion sensor gives while the person is up).
 */
export function hasMotionSensor(profiles: Iterable<DeviceProfile | undefined>): boolean {
  for (const p of profiles) {
    const channels: string[] =
      p?.protocol === "bthome"
        ? Object.values(p.bthome.channels)
        : p?.protocol === "zigbee2mqtt"
          ? Object.values(p.zigbee2mqtt.exposes).map((e) => (typeof e === "string" ? e : e.channel))
          : [];
    if (channels.some((c) => MOTION_CHANNELS.has(c))) return true;
  }
  return false;
}
