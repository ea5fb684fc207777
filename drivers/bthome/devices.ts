/**
 * The BTHome devices of a home's config: the entry, its profile, the checks that make an entry usable,
 * and which BTHome objects feed which reading channels.
 */
import { CHANNELS, type Channel } from "../../src/core/channels.js";
import { errorMessage } from "../../src/core/errors.js";
import type { BthomeProfile } from "../../src/profiles/bthome.js";
import { normalizeMac } from "../ble/mac.js";
import { keyFromHex } from "./encryption.js";
import { OBJECTS } from "./objects.js";

/** One BTHome device of the home's config. */
export interface BthomeDeviceConfig {
  id: string;
  profile: string;
  mac: string;
  /** Bind key, 32 hex characters. */
  key?: string;
  adapter?: string;
}

export interface BthomeDevice {
  config: BthomeDeviceConfig;
  profile: BthomeProfile;
}

/** Checks one device entry against its profile; returns problems as text, empty when usable. */
export function validateBthomeDevice(d: BthomeDevice): string[] {
  const problems: string[] = [];
  try {
    normalizeMac(d.config.mac);
  } catch (e) {
    problems.push(`${d.config.id}: mac: ${errorMessage(e)}`);
  }
  if (d.config.key !== undefined) {
    try {
      keyFromHex(d.config.key);
    } catch (e) {
      problems.push(`${d.config.id}: key: ${errorMessage(e)}`);
    }
  }
  for (const [name, channel] of Object.entries(d.profile.bthome.channels)) {
    const specs = [...OBJECTS.values()].filter((s) => s.name === name);
    if (specs.length === 0) {
      problems.push(`${d.profile.id}: channels.${name}: no BTHome object is called ${JSON.stringify(name)}`);
    } else if (!specs.some((s) => s.unit === CHANNELS[channel].unit)) {
      problems.push(
        `${d.profile.id}: channels.${name}: unit ${specs.map((s) => JSON.stringify(s.unit)).join("/")} does not match channel ${channel} (${JSON.stringify(CHANNELS[channel].unit)})`,
      );
    }
  }
  return problems;
}

/**
 * The profile's `channels` (BTHome object name → channel) by object id. A name such as temperature
 * stands for several objects (0.01 °C, 0.1 °C, …); those whose unit is the channel's all feed it.
 */
export function channelsByObjectId(profile: BthomeProfile): Map<number, Channel> {
  const channelsById = new Map<number, Channel>();
  for (const [name, channel] of Object.entries(profile.bthome.channels)) {
    for (const s of OBJECTS.values()) {
      if (s.name === name && s.unit === CHANNELS[channel].unit) channelsById.set(s.id, channel);
    }
  }
  return channelsById;
}
