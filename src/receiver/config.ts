import { readFileSync } from "node:fs";
import { z } from "zod";
import { parsePrivateKey } from "../core/ed25519-keys.js";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import { formatProblem, parseYamlWith } from "../core/yaml-validate.js";
import type { ReceiverOptions } from "./receiver.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
/** "90s", "5m", "250ms", "1h", "30d": milliseconds. */
export const duration = z
  .string()
  .regex(DURATION, 'a duration such as "250ms", "90s", "5m", "1h", "30d"')
  .transform((v) => {
    const m = DURATION.exec(v) as RegExpExecArray;
    return Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  });

const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, "HOST:PORT, e.g. 127.0.0.1:8480")
  .transform((v) => {
    const i = v.lastIndexOf(":");
    return { host: v.slice(0, i), port: Number(v.slice(i + 1)) };
  });

/**
 * The receiver's config file (YAML, `version: 1`); every key has the flag of the same name. Flags
 * given on the command line win over the file.
 */
export const receiverConfigSchema = z
  .object({
    version: z.literal(1),
    brokers: z
      .array(z.string().regex(/^(mqtts?|wss?):\/\//, "an mqtt://, mqtts://, ws:// or wss:// URL"))
      .min(1),
    db: z
      .string()
      .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, "sqlite:PATH or postgres://…")
      .default("sqlite:hearth-receiver.db"),
    group: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, - and _")
      .default("hearth-receivers"),
    single: z
      .boolean()
      .default(false)
      .describe("one instance, plain subscriptions: for a broker without shared subscriptions"),
    mqtt_version: z.union([z.literal("3.1.1"), z.literal("5")]).default("5"),
    ack: z.enum(["auto", "webhook", "manual"]).default("auto"),
    ack_by: z.string().min(1).max(200).default("hearth-receiver"),
    webhook: z.url().optional(),
    webhook_secret_file: z.string().optional(),
    http: hostPort.optional(),
    http_token_file: z.string().optional(),
    key_file: z.string().optional().describe("the provider's Ed25519 private key (hearth keygen)"),
    command_ttl: duration.prefault("5m"),
    heartbeat_allowance: duration.prefault("11m"),
    sweep: duration.prefault("15s"),
    gap_grace: duration.prefault("2m"),
    webhook_retry_initial: duration.prefault("1s"),
    webhook_retry_max: duration.prefault("5m"),
    webhook_timeout: duration.prefault("10s"),
    reconnect: duration.prefault("1s"),
    seen_retention: duration
      .prefault("30d")
      .describe("message ids are kept this long for de-duplication (above every gateway's outbox.retention)"),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.ack === "webhook" && !c.webhook)
      ctx.addIssue({ code: "custom", path: ["webhook"], message: "--ack webhook needs a webhook URL" });
    if (c.ack === "manual" && !c.http)
      ctx.addIssue({
        code: "custom",
        path: ["http"],
        message: "--ack manual needs the HTTP API (--http HOST:PORT)",
      });
    if (c.http && !isLoopback(c.http.host) && !c.http_token_file)
      ctx.addIssue({
        code: "custom",
        path: ["http_token_file"],
        message: "the HTTP API bound beyond loopback needs a token (--http-token-file)",
      });
    if (c.mqtt_version === "3.1.1" && !c.single)
      ctx.addIssue({
        code: "custom",
        path: ["mqtt_version"],
        message: "MQTT 3.1.1 has no shared subscriptions: it needs `single: true` (--single), one instance",
      });
    if (c.seen_retention < 86_400_000)
      ctx.addIssue({
        code: "custom",
        path: ["seen_retention"],
        message: "at least 1d, and above the gateways' outbox.retention (7d by default): docs/receiver.md",
      });
    if (c.command_ttl > 10 * 60_000)
      ctx.addIssue({ code: "custom", path: ["command_ttl"], message: "at most 10m (docs/contract.md)" });
  });
export type ReceiverConfig = z.output<typeof receiverConfigSchema>;

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** Validates the file's text merged with the flags (flags win); every problem with its path. */
export function parseReceiverConfig(
  fileText: string | undefined,
  file: string,
  flags: Record<string, unknown>,
): ReceiverConfig {
  const base = fileText === undefined ? "version: 1\n" : fileText;
  // The flags are merged as YAML so that one validator reports file and flags alike.
  const parsed = parseYamlWith(base, file, z.record(z.string(), z.unknown()));
  if (!parsed.ok)
    throw new HearthError(parsed.problems.map(formatProblem).join("\n"), ErrorCode.ConfigInvalid);
  const merged = { ...(parsed.value as Record<string, unknown>) };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k] = v;
  const r = receiverConfigSchema.safeParse(merged);
  if (!r.success)
    throw new HearthError(
      r.error.issues.map((i) => `${file}: ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n"),
      ErrorCode.ConfigInvalid,
    );
  return r.data;
}

function readSecret(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch (e) {
    throw new HearthError(`${what} ${path}: ${errorMessage(e)}`, ErrorCode.ConfigNotFound);
  }
}

/** The Receiver's options from a validated config: files read, key parsed. */
export function receiverOptions(c: ReceiverConfig): ReceiverOptions {
  return {
    brokers: c.brokers,
    group: c.group,
    single: c.single,
    mqttVersion: c.mqtt_version === "3.1.1" ? 4 : 5,
    ack: c.ack,
    ackBy: c.ack_by,
    webhook: c.webhook
      ? {
          url: c.webhook,
          secret: c.webhook_secret_file ? readSecret(c.webhook_secret_file, "webhook secret") : undefined,
        }
      : undefined,
    http: c.http
      ? { ...c.http, token: c.http_token_file ? readSecret(c.http_token_file, "HTTP token") : undefined }
      : undefined,
    key: c.key_file ? parsePrivateKey(readSecret(c.key_file, "signing key")) : undefined,
    commandTtlMs: c.command_ttl,
    heartbeatAllowanceMs: c.heartbeat_allowance,
    sweepMs: c.sweep,
    gapGraceMs: c.gap_grace,
    webhookPollMs: 1000,
    webhookRetryInitialMs: c.webhook_retry_initial,
    webhookRetryMaxMs: c.webhook_retry_max,
    webhookTimeoutMs: c.webhook_timeout,
    reconnectMs: c.reconnect,
    seenRetentionMs: c.seen_retention,
  };
}
