import { formatReading } from "../doctor/check.js";

/** What the live view reads of `hearth status`'s JSON (the same data, nothing more). */
export interface StatusData {
  home?: string;
  version?: string;
  uptime_s?: number;
  clock?: string;
  devices?: Record<
    string,
    { availability?: string; last?: Record<string, { value: number; unit: string; at: string }> }
  >;
  drivers?: { bthome?: Record<string, { accepted?: number; last_rssi?: number }> };
  watch?: { level?: string; until?: string };
  outbox?: { depth?: Record<string, number> };
  uplink?: { connected?: boolean; broker?: string; attempts?: number; lastError?: string };
  open_alerts?: { alert: string; kind: string; state: string; device?: string; since?: string }[];
  commissioning?: { by: string; until: string; expecting_press_until?: string } | null;
}

function age(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** The status as a person on site reads it, one screen: devices, link, outbox, uplink, watch, alerts. */
export function renderStatus(s: StatusData, nowMs: number): string {
  const out: string[] = [];
  out.push(
    `Hearth ${s.home ?? "?"}   version ${s.version ?? "?"}   up ${age((s.uptime_s ?? 0) * 1000)}   clock ${s.clock ?? "?"}`,
  );
  const u = s.uplink ?? {};
  out.push(
    `uplink     ${u.connected ? `connected to ${u.broker ?? "?"}` : `NOT connected${u.broker ? ` (trying ${u.broker}, ${u.attempts ?? 0} attempts${u.lastError ? `: ${u.lastError}` : ""})` : ""}`}`,
  );
  const d = s.outbox?.depth ?? {};
  out.push(`outbox     waiting: alert ${d.alert ?? 0}, event ${d.event ?? 0}, telemetry ${d.telemetry ?? 0}`);
  out.push(`watch      ${s.watch?.level ?? "?"}${s.watch?.until ? ` until ${s.watch.until}` : ""}`);
  const c = s.commissioning;
  out.push(
    `commission ${c ? `ON by ${c.by} until ${c.until}${c.expecting_press_until ? `; expecting a test press until ${c.expecting_press_until}` : ""}` : "off"}`,
  );
  out.push("", "devices");
  const ble = s.drivers?.bthome ?? {};
  for (const [id, dev] of Object.entries(s.devices ?? {})) {
    const last = Object.entries(dev.last ?? {});
    const newest = last.reduce((m, [, v]) => Math.max(m, Date.parse(v.at)), Number.NEGATIVE_INFINITY);
    const values = last.map(([ch, v]) => formatReading(ch, v)).join(", ");
    const link = ble[id]?.last_rssi !== undefined ? `  ${ble[id]?.last_rssi} dBm` : "";
    const when = Number.isFinite(newest) ? `${age(nowMs - newest)} ago` : "no reading yet";
    out.push(
      `  ${id.padEnd(14)} ${(dev.availability ?? "unknown").padEnd(8)} ${when.padEnd(14)} ${values}${link}`,
    );
  }
  const alerts = s.open_alerts ?? [];
  out.push("", `open alerts (${alerts.length})`);
  for (const a of alerts)
    out.push(`  ${a.kind} ${a.state}${a.device ? ` ${a.device}` : ""} since ${a.since ?? "?"}  ${a.alert}`);
  return `${out.join("\n")}\n`;
}
