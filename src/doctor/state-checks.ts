import { join } from "node:path";
import type { LoadedConfig } from "../config/devices.js";
import { ErrorCode, errorMessage, isHearthError } from "../core/errors.js";
import { HOUR_MS, MINUTE_MS } from "../core/time.js";
import { inspectOutbox, OUTBOX_FILE, type OutboxInspection } from "../outbox/index.js";
import { type Check, fail, formatReading, na, ok } from "./check.js";
import type { DoctorProbes } from "./probes.js";

/** An undelivered message older than this means the uplink is not getting through. */
export const OLDEST_UNDELIVERED_MS = HOUR_MS;
/** A polled meter unheard this long is a ✗; battery devices report only when something happens. */
export const METER_HEARD_MS = 10 * MINUTE_MS;
export const BATTERY_HEARD_MS = 24 * HOUR_MS;

const age = (ms: number) =>
  ms < MINUTE_MS
    ? `${Math.round(ms / 1000)} s`
    : ms < HOUR_MS
      ? `${Math.round(ms / MINUTE_MS)} min`
      : `${(ms / HOUR_MS).toFixed(1)} h`;

export function outboxCheck(
  stateDir: string,
  p: DoctorProbes,
  inspect: (path: string) => OutboxInspection = inspectOutbox,
): Check {
  const path = join(stateDir, OUTBOX_FILE);
  if (!p.stat(path)) return na("outbox", `no outbox at ${path} yet (the agent has not run)`);
  let i: OutboxInspection;
  try {
    i = inspect(path);
  } catch (e) {
    // The agent checks the file (quick_check) every time it opens it; while it runs, it holds it.
    if (isHearthError(e, ErrorCode.OutboxInUse))
      return ok("outbox", "held by the running agent; its depth and storage: `hearth status`");
    return fail(
      "outbox",
      errorMessage(e),
      "check the card (dmesg for I/O errors); the agent recovers a corrupt file at its next start",
    );
  }
  const depth = `waiting: alert ${i.depth.alert}, event ${i.depth.event}, telemetry ${i.depth.telemetry}`;
  if (i.integrity !== "ok")
    return fail(
      "outbox",
      `integrity check: ${i.integrity}`,
      "stop the agent and start it again: it sets a corrupt outbox aside and starts a new one (docs/RELIABILITY.md)",
    );
  const oldest = i.oldestUndeliveredMs === undefined ? undefined : p.now() - i.oldestUndeliveredMs;
  const what = `integrity ok, ${Math.round(i.sizeBytes / 1024)} KiB; ${depth}${oldest !== undefined ? `; oldest undelivered ${age(oldest)} old` : ""}`;
  if (oldest !== undefined && oldest > OLDEST_UNDELIVERED_MS)
    return fail(
      "outbox",
      what,
      "messages are not getting out: see the broker check and `hearth status` (uplink)",
    );
  return ok("outbox", what);
}

interface Snapshot {
  availability?: string;
  last?: Record<string, { value: number; unit: string; at: string }>;
}

/** Each configured device heard recently, with its last value (from the running agent's status). */
export function deviceChecks(
  config: LoadedConfig,
  agent: Record<string, unknown> | undefined,
  p: DoctorProbes,
): Check[] {
  if (config.devices.length === 0) return [na("devices", "no devices configured")];
  if (!agent)
    return [na("devices", "the agent is not running, so nothing says what was heard (see service)")];
  const snaps = (agent.devices ?? {}) as Record<string, Snapshot>;
  const ble = (agent.drivers as { bthome?: Record<string, { accepted?: number }> } | undefined)?.bthome ?? {};
  return config.devices.map((d) => {
    const id = `device:${d.id}`;
    const meter = d.protocol === "modbus" || d.protocol === "dlt645" || d.protocol === "cjt188";
    const limit = meter ? METER_HEARD_MS : BATTERY_HEARD_MS;
    const last = Object.entries(snaps[d.id]?.last ?? {});
    const newest = last.reduce((m, [, v]) => Math.max(m, Date.parse(v.at)), Number.NEGATIVE_INFINITY);
    const values = last.map(([ch, v]) => formatReading(ch, v)).join(", ");
    const adverts = ble[d.id]?.accepted ?? 0;
    const fix = meter
      ? "check the RS-485 wiring (A/B), the meter's address and baud rate: `hearth probe PORT`"
      : "press the button or wake the sensor near the gateway; check its battery, MAC and key";
    if (Number.isFinite(newest)) {
      const ago = p.now() - newest;
      if (ago > limit) return fail(id, `last heard ${age(ago)} ago (${values})`, fix);
      return ok(id, `heard ${age(Math.max(0, ago))} ago: ${values}`);
    }
    if (adverts > 0) return ok(id, `${adverts} adverts since the agent started`);
    return fail(id, "not heard since the agent started", fix);
  });
}
