import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BODY_SCHEMAS, type Envelope, type MessageType } from "../../src/contract/messages.js";
import { shapedBody, storedBody } from "../../src/contract/shape.js";
import { ErrorCode, HearthError, isHearthError } from "../../src/core/errors.js";
import { packageRoot } from "../../src/core/paths.js";
import { alertBody, eventBody, summaryBody, telemetryBody } from "../outbox/fixtures.js";

/**
 * The plain check the agent writes with (src/contract/shape.ts) against the contract's zod schemas
 * (BODY_SCHEMAS): on every golden body and many more, and on every body made from them by breaking one
 * thing (a field removed, given another type, an unknown field added), the two must accept the same
 * bodies, and give the same result, key order and defaults included.
 */

const dir = join(packageRoot(), "tests", "contract", "golden");
const golden: [MessageType, unknown][] = readdirSync(dir)
  .filter((f) => f.endsWith(".json") && !f.startsWith("cmd-") && !f.startsWith("receiver-"))
  .sort()
  .map((f) => {
    const env = JSON.parse(readFileSync(join(dir, f), "utf8")) as Envelope;
    return [env.type, env.body];
  });

const ts = "2026-03-01T07:12:00.000+08:00";
const more: [MessageType, unknown][] = [
  ["alert", alertBody("alert-0001")],
  ["alert", { ...alertBody("alert-0002", "cleared"), since: ts, cause: "i_am_fine", by: "daughter" }],
  ["event", eventBody(1)],
  ["event", { event: "clock_synced" }],
  ["event", { device: "button-1", event: "button", data: { n: 1 } }],
  ["telemetry", telemetryBody(1)],
  [
    "telemetry",
    {
      values: [
        { unit: "V", value: -1.5e-3, channel: "voltage_v" },
        { channel: "power_w", value: 0, unit: "W" },
      ],
      at: "2026-03-01T07:12:00Z",
      device: "meter-1",
    },
  ],
  ["summary", summaryBody()],
  [
    "summary",
    {
      ...summaryBody(),
      first_activity: ts,
      last_activity: ts,
      alerts: [{ alert: "alert-0001", kind: "call", state: "cleared", extra: "dropped" }],
      water_m3: 0.12,
      energy_kwh: 3.4,
      health: [{ at: ts, device: "bp-1", channel: "systolic_mmhg", value: 128, unit: "mmHg" }],
    },
  ],
  ["status", { state: "offline", version: "1.0.0", reason: "stopped", session: 3 }],
  [
    "status",
    {
      state: "online",
      version: "1.0.0",
      session: 2,
      watch: "away",
      health: {
        uptime_s: 12.5,
        rss_mb: 60.1,
        outbox: { alert: 0, event: 1, telemetry: 2, extra: 3 },
        devices: { "meter-1": "online", "button-1": "unknown" },
        open_alerts: 0,
        clock: "synced",
        replay_drained: true,
        lane_seq: { alert: 1, event: 2, telemetry: 3 },
        security: { commands: "signed", insecure_buttons: ["button-1"] },
        storage: { state: "ok", free_mb: 100, memory_lane: 0, shed_telemetry: 0 },
        cellular: { modem: "ok", registration: "home", signal_pct: 70 },
        certificate: { days_left: 30, not_after: ts },
        commissioning: { by: "installer", until: ts },
        unknown_figure: 1,
      },
    },
  ],
  ["reply", { command_id: "c1", command: "ping", status: "ok" }],
  ["reply", { command_id: "c1", command: "resend", status: "ok", data: { requeued: 2 } }],
  ["reply", { command_id: "c1", command: "ack", status: "error", error: { code: "busy", message: "m" } }],
];
const samples = [...golden, ...more];

/** Every path to a value in `v` (object keys and array indexes). */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof v !== "object" || v === null) return [at];
  const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return [at, ...keys.flatMap((k) => paths((v as Record<string | number, unknown>)[k], [...at, k]))];
}

const REPLACEMENTS: unknown[] = [
  null,
  12345,
  -1,
  2.5,
  "x",
  "",
  true,
  [],
  {},
  Number.NaN,
  Number.POSITIVE_INFINITY,
];

/** Bodies made from `body` by breaking one thing at one place. */
function mutants(body: unknown): unknown[] {
  const out: unknown[] = [];
  for (const p of paths(body)) {
    const change = (fn: (parent: Record<string | number, unknown>, key: string | number) => void) => {
      const copy = structuredClone(body) as Record<string | number, unknown>;
      if (p.length === 0) return;
      let parent = copy;
      for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
      fn(parent, p[p.length - 1] as string | number);
      out.push(copy);
    };
    change((parent, key) => {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
    });
    for (const r of REPLACEMENTS)
      change((parent, key) => {
        parent[key] = r;
      });
    const target = p.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], body);
    if (typeof target === "object" && target !== null && !Array.isArray(target)) {
      const copy = structuredClone(body) as Record<string | number, unknown>;
      const obj = p.reduce<Record<string | number, unknown>>(
        (v, k) => v[k] as Record<string | number, unknown>,
        copy,
      );
      obj.zz_unknown = 1;
      out.push(copy);
    }
  }
  for (const r of REPLACEMENTS) out.push(r);
  return out;
}

function plain(type: MessageType, body: unknown): { ok: true; json: string } | { ok: false } {
  try {
    return { ok: true, json: JSON.stringify(shapedBody(type, body, "in a test")) };
  } catch (e) {
    if (!isHearthError(e, ErrorCode.Internal)) throw e;
    return { ok: false };
  }
}

function zod(type: MessageType, body: unknown): { ok: true; json: string } | { ok: false } {
  const r = BODY_SCHEMAS[type].safeParse(body);
  return r.success ? { ok: true, json: JSON.stringify(r.data) } : { ok: false };
}

describe("the plain check of what the gateway writes (shape.ts) agrees with the contract's zod schemas", () => {
  it("covers every message type in the samples", () => {
    expect(new Set(samples.map(([t]) => t))).toEqual(new Set(Object.keys(BODY_SCHEMAS)));
  });

  it.each(samples.map(([t, b], i) => [i, t, b] as const))(
    "sample %i (%s): the same result, key order and defaults included",
    (_i, type, body) => {
      expect(zod(type, body).ok).toBe(true);
      expect(plain(type, body)).toEqual(zod(type, body));
    },
  );

  it("every body made by breaking one thing in a sample is accepted or refused by both alike", () => {
    let refused = 0;
    let compared = 0;
    for (const [type, body] of samples)
      for (const m of mutants(body)) {
        const z = zod(type, m);
        expect(plain(type, m), `${type}: ${JSON.stringify(m)}`).toEqual(z);
        compared++;
        if (!z.ok) refused++;
      }
    // The mutants must mostly be broken, or the comparison says little.
    expect(compared).toBeGreaterThan(2000);
    expect(refused / compared).toBeGreaterThan(0.5);
  });

  it("fills the event's data and the ok reply's data as the schema's default does, in the schema's key order", () => {
    expect(JSON.stringify(storedBody("event", { device: "b", event: "button" }))).toBe(
      '{"event":"button","device":"b","data":{}}',
    );
    expect(shapedBody("reply", { command_id: "c", command: "ping", status: "ok" }, "x")).toEqual({
      command_id: "c",
      command: "ping",
      status: "ok",
      data: {},
    });
  });

  it("refuses a broken body as Internal, naming the type and each field that is wrong", () => {
    let e: unknown;
    try {
      storedBody("telemetry", {
        device: "m",
        at: "yesterday",
        values: [{ channel: "v", value: Number.NaN, unit: "V" }],
        extra: 1,
      });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(HearthError);
    expect((e as HearthError).code).toBe(ErrorCode.Internal);
    expect((e as HearthError).message).toBe("Invalid telemetry body for the outbox");
    expect((e as HearthError).context).toEqual({
      type: "telemetry",
      issues: [
        expect.stringMatching(/^at: /),
        expect.stringMatching(/^values\.0\.value: /),
        expect.stringMatching(/^extra: /),
      ],
    });
  });

  it("gives the stored body its own copies: a caller changing its object afterwards does not change it", () => {
    const body = telemetryBody(1);
    const stored = storedBody("telemetry", body);
    (body.values[0] as { value: number }).value = 99;
    body.values.push({ channel: "x", value: 1, unit: "" });
    expect(stored.values).toEqual([{ channel: "energy_total_kwh", value: 1, unit: "kWh" }]);
  });
});
