import { ErrorCode, HearthError } from "../core/errors.js";
import {
  arr,
  Bad,
  bool,
  type Check,
  ISO_DATE,
  ISO_DATETIME,
  issuesText,
  literal,
  nullable,
  num,
  obj,
  oneOf,
  opt,
  record,
  str,
  union,
  withDefault,
} from "../core/plain-check.js";
import type { BodyOf, TelemetryBody } from "./messages.js";
import type { StoredType } from "./stored.js";
import { ALERT_KINDS, ALERT_STATES, WATCH_LEVELS } from "./vocabulary.js";

/**
 * The bodies the gateway writes, checked in plain code: the agent's guarantee of what it stores and
 * publishes, without loading zod (issue 14, footprint). The same fields, types, enums, ranges, strictness
 * and defaults as the zod schemas of messages.ts (BODY_SCHEMAS), and their output (key order, the event's
 * and the reply's `data: {}`); tests/contract/shape.test.ts holds the two together, and the tests check
 * every envelope they see against the zod schemas besides.
 */

const isoTs = str({ pattern: ISO_DATETIME });
const id = str({ min: 8, max: 64 });
const kind = oneOf(ALERT_KINDS);
const state = oneOf(ALERT_STATES);
const laneSeq = num({ int: true, min: 0 });

const alert = obj(
  {
    alert: id,
    kind,
    state,
    device: opt(str()),
    since: opt(isoTs),
    cause: opt(oneOf(["activity", "i_am_fine", "cloud", "device", "timeout", "recovered"])),
    by: opt(str()),
    evidence: record(),
  },
  { strict: true },
);

const event = obj(
  { event: str({ pattern: /^[a-z_]+$/ }), device: opt(str()), data: withDefault(record(), () => ({})) },
  { strict: true },
);

const telemetry = obj(
  {
    device: str(),
    at: isoTs,
    values: arr(obj({ channel: str(), value: num(), unit: str() }, { strict: true }), { min: 1 }),
  },
  { strict: true },
);

/** How many enumerable keys `o` has, without making an array of them. */
function keyCount(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/**
 * The telemetry body, written once per reading: the same check as `telemetry` in straight-line code
 * (the generic check's calls through closures cost about twice as much per row). Returns undefined for
 * anything it does not accept, which then goes to the generic check for its issues.
 */
function fastTelemetry(v: unknown): TelemetryBody | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v) || keyCount(v) !== 3) return undefined;
  const { device, at, values } = v as Record<string, unknown>;
  if (typeof device !== "string" || typeof at !== "string" || !ISO_DATETIME.test(at)) return undefined;
  if (!Array.isArray(values) || values.length === 0) return undefined;
  const out: TelemetryBody["values"] = [];
  for (const e of values as unknown[]) {
    if (typeof e !== "object" || e === null || Array.isArray(e) || keyCount(e) !== 3) return undefined;
    const { channel, value, unit } = e as Record<string, unknown>;
    if (typeof channel !== "string" || typeof unit !== "string") return undefined;
    if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
    out.push({ channel, value, unit });
  }
  return { device, at, values: out };
}

const summary = obj(
  {
    date: str({ pattern: ISO_DATE }),
    first_activity: nullable(isoTs),
    last_activity: nullable(isoTs),
    active_hours: num({ int: true, min: 0, max: 24 }),
    activity_by_hour: arr(num({ int: true, min: 0 }), { length: 24 }),
    alerts: arr(obj({ alert: str(), kind, state }, { strict: false })),
    water_m3: opt(num()),
    energy_kwh: opt(num()),
    health: opt(
      arr(obj({ at: isoTs, device: str(), channel: str(), value: num(), unit: str() }, { strict: true })),
    ),
  },
  { strict: true },
);

const health = obj(
  {
    uptime_s: num(),
    rss_mb: num(),
    outbox: obj({ alert: num(), event: num(), telemetry: num() }, { strict: false }),
    devices: record(oneOf(["online", "offline", "unknown"])),
    open_alerts: num({ int: true }),
    clock: oneOf(["synced", "unsynced"]),
    replay_drained: bool,
    lane_seq: obj({ alert: laneSeq, event: laneSeq, telemetry: laneSeq }, { strict: true }),
    security: obj(
      { commands: oneOf(["signed", "insecure", "refused"]), insecure_buttons: arr(str()) },
      { strict: true },
    ),
    storage: obj(
      {
        state: oneOf(["ok", "degraded", "memory", "read_only"]),
        free_mb: opt(num()),
        memory_lane: num({ int: true }),
        shed_telemetry: num({ int: true }),
      },
      { strict: true },
    ),
    cellular: obj(
      {
        modem: oneOf(["ok", "none", "no_sim", "not_registered", "no_signal", "unreachable"]),
        registration: opt(str()),
        signal_pct: opt(num({ min: 0, max: 100 })),
      },
      { strict: true },
    ),
    certificate: obj({ days_left: num({ int: true }), not_after: isoTs }, { strict: true }),
    commissioning: obj({ by: str(), until: isoTs }, { strict: true }),
  },
  { strict: false, partial: true },
);

const status = obj(
  {
    state: oneOf(["online", "offline"]),
    version: str(),
    reason: opt(str()),
    session: num({ int: true, min: 1 }),
    watch: opt(oneOf(WATCH_LEVELS)),
    health: opt(health),
  },
  { strict: true },
);

const reply = union("status", {
  ok: obj(
    {
      command_id: str(),
      command: str(),
      status: literal("ok"),
      data: withDefault(record(), () => ({})),
    },
    { strict: true },
  ),
  error: obj(
    {
      command_id: str(),
      command: str(),
      status: literal("error"),
      error: obj({ code: str(), message: str() }, { strict: true }),
    },
    { strict: true },
  ),
});

const BODIES: { readonly [T in keyof BodyOf]: Check } = {
  alert,
  event,
  telemetry,
  summary,
  status,
  reply,
};

/**
 * `body` as the contract's body of `type`, defaults filled in, or a HearthError (Internal): a body that
 * breaks the contract is a bug in whoever made it, and failing loudly keeps it out of the outbox and off
 * the wire. `what` names the writer in the message ("for the outbox", "to publish").
 */
export function shapedBody<T extends keyof BodyOf>(type: T, body: unknown, what: string): BodyOf[T] {
  if (type === "telemetry") {
    const fast = fastTelemetry(body);
    if (fast) return fast as BodyOf[T];
  }
  const r = BODIES[type](body);
  if (r instanceof Bad)
    throw new HearthError(`Invalid ${type} body ${what}`, ErrorCode.Internal, {
      type,
      issues: issuesText(r),
    });
  return r as BodyOf[T];
}

/** A body to store (alert, event, summary, telemetry), checked as `shapedBody` does. */
export function storedBody<T extends StoredType>(type: T, body: unknown): BodyOf[T] {
  return shapedBody(type, body, "for the outbox");
}
