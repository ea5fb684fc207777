import { z } from "zod";
import { FIELD_COMMAND_BODIES } from "./field-commands.js";
import {
  ALERT_KIND_PATTERN,
  ALERT_KINDS,
  ALERT_STATES,
  CONTRACT_VERSION,
  type MessageType,
} from "./vocabulary.js";

/**
 * Message contract v1: the one source of every topic and payload exchanged with the cloud. The code
 * validates with these schemas; docs/schemas/*.json are generated from them (`hearth schemas --write`).
 */
export {
  ALERT_KIND_PATTERN,
  ALERT_KINDS,
  ALERT_STATES,
  type AlertKind,
  type AlertState,
  CONTRACT_VERSION,
  MESSAGE_TYPES,
  type MessageType,
  WATCH_LEVELS,
  type WatchLevel,
} from "./vocabulary.js";

/**
 * A receiver accepts as an alert kind one of ALERT_KINDS or any ALERT_KIND_PATTERN. The gateway writes
 * only ALERT_KINDS (BODY_SCHEMAS, and the outbox's plain check, shape.ts); the published schemas
 * (ENVELOPE_SCHEMAS) take any such kind, because a receiver must treat a kind it does not know as an
 * alert needing attention. That is what keeps new kinds additive within v1.
 */
const receivedKind = z
  .union([z.enum(ALERT_KINDS), z.string().regex(ALERT_KIND_PATTERN)])
  .describe(
    "one of the known kinds, or a kind added later: a receiver treats a kind it does not know as an alert needing attention",
  );

const isoTs = z.iso.datetime({ offset: true }).describe("ISO 8601 with offset");
const homeId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const id = z.string().min(8).max(64);
const laneSeq = z.number().int().min(0);

function alertBodyOf<K extends z.ZodType>(kind: K) {
  return z
    .object({
      alert: id.describe("the alert's own id, shared by all its state messages"),
      kind,
      state: z.enum(ALERT_STATES),
      device: z.string().optional().describe("the device involved, where one is"),
      since: isoTs.optional().describe("when the alert was raised"),
      cause: z
        .enum(["activity", "i_am_fine", "cloud", "device", "timeout", "recovered"])
        .optional()
        .describe("why the state changed (cleared/acknowledged/escalated)"),
      by: z.string().optional().describe("acknowledged: who acknowledged, as the cloud said"),
      evidence: z
        .record(z.string(), z.unknown())
        .describe("facts behind this state: last activity, silence, ..."),
    })
    .strict();
}

/** An alert as the gateway writes it: known kinds only. */
export const alertBody = alertBodyOf(z.enum(ALERT_KINDS));
export type AlertBody = z.infer<typeof alertBody>;

export const eventBody = z
  .object({
    event: z
      .string()
      .regex(/^[a-z_]+$/)
      .describe("button, device_online, device_offline, watch_level, clock_synced, ..."),
    device: z.string().optional(),
    data: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type EventBody = z.infer<typeof eventBody>;

export const telemetryBody = z
  .object({
    device: z.string(),
    at: isoTs.describe("when the values were read"),
    values: z.array(z.object({ channel: z.string(), value: z.number(), unit: z.string() }).strict()).min(1),
  })
  .strict();
export type TelemetryBody = z.infer<typeof telemetryBody>;

function summaryBodyOf<K extends z.ZodType>(kind: K) {
  return z
    .object({
      date: z.iso.date().describe("local date of the home"),
      first_activity: isoTs.nullable(),
      last_activity: isoTs.nullable(),
      active_hours: z.number().int().min(0).max(24),
      activity_by_hour: z.array(z.number().int().min(0)).length(24),
      alerts: z.array(z.object({ alert: z.string(), kind, state: z.enum(ALERT_STATES) })),
      water_m3: z.number().optional(),
      energy_kwh: z.number().optional(),
      health: z
        .array(
          z
            .object({
              at: isoTs.describe("when measured (the device's own time where its clock is set)"),
              device: z.string(),
              channel: z.string(),
              value: z.number(),
              unit: z.string(),
            })
            .strict(),
        )
        .optional()
        .describe("the day's health readings, where the home opted in to health monitors"),
    })
    .strict();
}

export const summaryBody = summaryBodyOf(z.enum(ALERT_KINDS));
export type SummaryBody = z.infer<typeof summaryBody>;

export const statusBody = z
  .object({
    state: z.enum(["online", "offline"]),
    version: z.string(),
    reason: z.string().optional().describe("offline: last will, or a clean stop"),
    session: z
      .number()
      .int()
      .min(1)
      .describe(
        "connection session: +1 per connection attempt to a broker, persisted, never goes back; the online status, heartbeats and the offline (last will or stop) of one connection share it, so a receiver orders online/offline of one gateway by it",
      ),
    watch: z.enum(["away", "normal", "heightened"]).optional(),
    health: z
      .object({
        uptime_s: z.number(),
        rss_mb: z.number(),
        outbox: z.object({ alert: z.number(), event: z.number(), telemetry: z.number() }),
        devices: z.record(z.string(), z.enum(["online", "offline", "unknown"])),
        open_alerts: z.number().int(),
        clock: z.enum(["synced", "unsynced"]),
        replay_drained: z
          .boolean()
          .describe("true once everything pending at this session's connect has been acknowledged"),
        lane_seq: z
          .object({ alert: laneSeq, event: laneSeq, telemetry: laneSeq })
          .strict()
          .describe("the latest lane_seq assigned per lane (0 before the first), so a lost tail shows too"),
        security: z
          .object({
            commands: z
              .enum(["signed", "insecure", "refused"])
              .describe(
                "signed: only commands signed with the cloud's key run; insecure: unsigned ones run too (config says so); refused: no key, none run",
              ),
            insecure_buttons: z
              .array(z.string())
              .describe(
                "buttons configured insecure: true (no bind key): anyone nearby can send their presses",
              ),
          })
          .strict(),
        storage: z
          .object({
            state: z
              .enum(["ok", "degraded", "memory", "read_only"])
              .describe(
                "ok; degraded: writes work but the disk was full or the outbox replaced; memory: writes fail, alerts held in memory; read_only: running from memory since the start",
              ),
            free_mb: z.number().optional(),
            memory_lane: z.number().int().describe("messages held in memory, not on disk"),
            shed_telemetry: z
              .number()
              .int()
              .describe(
                "undelivered telemetry rows let go since start: by the size bound or to make room on a full disk",
              ),
          })
          .strict(),
        cellular: z
          .object({
            modem: z
              .enum(["ok", "none", "no_sim", "not_registered", "no_signal", "unreachable"])
              .describe(
                "ok: the SMS fallback can send; none: no modem; no_sim; not_registered: no network; no_signal; unreachable: ModemManager not answering",
              ),
            registration: z
              .string()
              .optional()
              .describe("3GPP registration: home, roaming, searching, denied, ..."),
            signal_pct: z.number().min(0).max(100).optional().describe("signal quality, percent"),
          })
          .strict()
          .describe("present only where the SMS fallback (config `sms`) is configured"),
        certificate: z
          .object({
            days_left: z
              .number()
              .int()
              .describe("whole days until the client certificate expires (negative: expired)"),
            not_after: isoTs,
          })
          .strict()
          .describe(
            "the broker client certificate in use (mutual TLS only): rotate it with cert_csr and cert_install",
          ),
        commissioning: z
          .object({ by: z.string(), until: isoTs })
          .strict()
          .describe(
            "present while an installer commissions the home: silences and announced test presses go out as test alerts, every other press as a real call (docs/installer.md)",
          ),
      })
      .partial()
      .optional(),
  })
  .strict();
export type StatusBody = z.infer<typeof statusBody>;

export const replyBody = z.discriminatedUnion("status", [
  z
    .object({
      command_id: z.string().describe("the id of the command this answers"),
      command: z.string(),
      status: z.literal("ok"),
      data: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
  z
    .object({
      command_id: z.string(),
      command: z.string(),
      status: z.literal("error"),
      error: z.object({ code: z.string(), message: z.string() }).strict(),
    })
    .strict(),
]);
export type ReplyBody = z.infer<typeof replyBody>;

export const BODY_SCHEMAS = {
  alert: alertBody,
  event: eventBody,
  telemetry: telemetryBody,
  summary: summaryBody,
  status: statusBody,
  reply: replyBody,
} as const satisfies Record<MessageType, z.ZodType>;

/**
 * Bodies as a receiver accepts them (what the published JSON Schemas say): alert kinds are open, see
 * ALERT_KIND_PATTERN. Everything else is as the gateway writes it.
 */
const RECEIVED_BODY_SCHEMAS = {
  ...BODY_SCHEMAS,
  alert: alertBodyOf(receivedKind),
  summary: summaryBodyOf(receivedKind),
} as const satisfies Record<MessageType, z.ZodType>;

/** The types kept in the outbox; their envelopes carry `lane_seq` (stored.ts says which lane). */
const STORED_TYPES: ReadonlySet<MessageType> = new Set(["alert", "event", "summary", "telemetry"]);

export interface BodyOf {
  alert: AlertBody;
  event: EventBody;
  telemetry: TelemetryBody;
  summary: SummaryBody;
  status: StatusBody;
  reply: ReplyBody;
}

function envelopeOf<T extends MessageType>(type: T) {
  const laneSeqField = STORED_TYPES.has(type)
    ? {
        lane_seq: z
          .number()
          .int()
          .min(1)
          .describe(
            "per-lane counter (lanes: alert; event and summary; telemetry) assigned at the outbox write with seq, +1 per message of the lane, never reused: a gap in the alert lane is a lost alert, a gap only in telemetry is shed telemetry",
          ),
      }
    : {};
  return z
    .object({
      v: z.literal(CONTRACT_VERSION),
      id: id.describe("unique; fixed when written to the outbox; the same on every retry"),
      home: homeId,
      seq: z
        .number()
        .int()
        .min(0)
        .describe("per-gateway counter assigned at the outbox write; status and reply carry the latest seq"),
      ...laneSeqField,
      ts: isoTs,
      clock: z.enum(["synced", "unsynced"]),
      type: z.literal(type),
      body: RECEIVED_BODY_SCHEMAS[type],
    })
    .strict();
}

export const ENVELOPE_SCHEMAS = {
  alert: envelopeOf("alert"),
  event: envelopeOf("event"),
  telemetry: envelopeOf("telemetry"),
  summary: envelopeOf("summary"),
  status: envelopeOf("status"),
  reply: envelopeOf("reply"),
} as const;

export const envelope = z.discriminatedUnion("type", [
  ENVELOPE_SCHEMAS.alert,
  ENVELOPE_SCHEMAS.event,
  ENVELOPE_SCHEMAS.telemetry,
  ENVELOPE_SCHEMAS.summary,
  ENVELOPE_SCHEMAS.status,
  ENVELOPE_SCHEMAS.reply,
]);

export interface Envelope<T extends MessageType = MessageType> {
  v: 1;
  id: string;
  home: string;
  seq: number;
  /** Stored types only (alert, event, summary, telemetry); status and reply carry none. */
  lane_seq?: number;
  ts: string;
  clock: "synced" | "unsynced";
  type: T;
  body: BodyOf[T];
}

// ---- cloud → gateway ----

export const COMMAND_BODIES = {
  ack: z
    .object({
      alert: id,
      // Any well-formed kind, so a receiver can acknowledge a kind added after it was built; a
      // gateway answers an ack of a kind it never raised with kind_mismatch and changes nothing.
      kind: receivedKind.describe(
        "the kind of the alert the sender means: an ack of an alert of another kind changes nothing",
      ),
      by: z.string().max(200).optional(),
      note: z.string().max(1000).optional(),
    })
    .strict(),
  ping: z.object({}).strict(),
  watch: z.discriminatedUnion("level", [
    z
      .object({
        level: z.literal("away"),
        until: isoTs.describe("required: away without an end would switch inactivity detection off for good"),
      })
      .strict(),
    z.object({ level: z.enum(["normal", "heightened"]), until: isoTs.optional() }).strict(),
  ]),
  resend: z
    .object({ from_seq: z.number().int().min(0), to_seq: z.number().int().min(0).optional() })
    .strict()
    .describe("send delivered messages again, from the retention window"),
  ...FIELD_COMMAND_BODIES,
} as const;
export type CommandName = keyof typeof COMMAND_BODIES;
export const COMMAND_NAMES = Object.keys(COMMAND_BODIES) as CommandName[];
export type CommandBody<N extends CommandName> = z.infer<(typeof COMMAND_BODIES)[N]>;

/** The outer shape of every command; the body is checked against its command's schema afterwards. */
export const commandEnvelope = z
  .object({
    v: z.literal(CONTRACT_VERSION),
    id: id,
    ts: isoTs,
    expires: isoTs.describe("after this time the gateway refuses the command; at most 10 minutes after ts"),
    sig: z
      .string()
      .regex(/^[A-Za-z0-9_-]{86}$/, "an Ed25519 signature: 64 bytes in base64url without padding")
      .optional()
      .describe("Ed25519 over the topic, a newline and the RFC 8785 form of the command without sig"),
    body: z.record(z.string(), z.unknown()),
  })
  .strict();
export type CommandEnvelope = z.infer<typeof commandEnvelope>;
