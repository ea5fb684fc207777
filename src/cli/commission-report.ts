import type { LoadedConfig } from "../config/devices.js";
import type { Check } from "../doctor/check.js";
import { formatReading, SYMBOL } from "../doctor/check.js";

/** What the care service keeps of an installation (published as the `commissioning_report` event). */
export interface CommissioningReport {
  ok: boolean;
  home: string;
  gateway: string;
  version: string;
  installer: string;
  timestamp: string;
  devices: {
    id: string;
    profile: string;
    protocol: string;
    last: Record<string, { value: number; unit: string; at: string }>;
    signal: { rssi_dbm: number } | null;
    adverts?: number;
  }[];
  checks: Check[];
  round_trip_ms: number | null;
}

interface AgentView {
  version?: string;
  devices?: Record<string, { last?: Record<string, { value: number; unit: string; at: string }> }>;
  drivers?: { bthome?: Record<string, { accepted?: number; last_rssi?: number }> };
}

/** Each configured device with its last readings and, for radio devices, the signal of its last advert. */
export function reportDevices(config: LoadedConfig, agent: AgentView): CommissioningReport["devices"] {
  return config.devices.map((d) => {
    const ble = agent.drivers?.bthome?.[d.id];
    return {
      id: d.id,
      profile: d.profile,
      protocol: d.protocol,
      last: agent.devices?.[d.id]?.last ?? {},
      signal: ble?.last_rssi !== undefined ? { rssi_dbm: ble.last_rssi } : null,
      ...(ble?.accepted !== undefined ? { adverts: ble.accepted } : {}),
    };
  });
}

/** The report as a person reads it: who, where, when, each device, each check. */
export function reportText(r: CommissioningReport): string {
  const lines = [
    `Hearth commissioning report — ${r.ok ? "PASSED" : "NOT PASSED"}`,
    `home:      ${r.home}`,
    `gateway:   ${r.gateway} (hearth ${r.version})`,
    `installer: ${r.installer}`,
    `time:      ${r.timestamp}`,
    `test alert round trip: ${r.round_trip_ms === null ? "no acknowledgement" : `${r.round_trip_ms} ms`}`,
    "",
    "devices:",
  ];
  for (const d of r.devices) {
    const values = Object.entries(d.last)
      .map(([ch, v]) => formatReading(ch, v))
      .join(", ");
    const signal = d.signal ? `, signal ${d.signal.rssi_dbm} dBm` : "";
    lines.push(`  ${d.id} (${d.profile}): ${values || "no reading"}${signal}`);
  }
  lines.push("", "checks:");
  for (const c of r.checks) {
    lines.push(`  ${SYMBOL[c.status]} ${c.id}: ${c.detail}`);
    if (c.fix) lines.push(`      fix: ${c.fix}`);
  }
  return `${lines.join("\n")}\n`;
}
