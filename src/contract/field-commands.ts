import { z } from "zod";

/**
 * Commands that change the gateway itself (issue 15): a new release, a new config, a new client
 * certificate. Signed and checked like every other command (src/agent/command-guard.ts); each one's
 * effect happens through the root helper (src/privileged), and where that restarts the agent the
 * outcome comes back as an event (FIELD_EVENTS), since the reply cannot outlive the restart.
 */
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 in 64 lowercase hex digits");

export const FIELD_COMMAND_BODIES = {
  update: z
    .object({
      url: z
        .string()
        .max(2000)
        .regex(/^https?:\/\/\S+$/, "an http(s) URL")
        .describe("where the release tarball (hearth-<version>-<arch>.tar.gz) is downloaded from"),
      sha256: sha256.describe("the tarball's SHA-256: checked before the signature"),
      signature: z
        .string()
        .regex(/^[A-Za-z0-9+/]{86}==$/, "an Ed25519 signature: 64 bytes in base64")
        .describe("the tarball's .sig: Ed25519 by the release key (cloud.release_public_key)"),
    })
    .strict(),
  config_get: z.object({}).strict(),
  config_set: z
    .object({
      replaces: sha256.describe("config_get's hash of the file this change is made against"),
      config: z.string().max(48_000).optional().describe("the whole new config, YAML"),
      patch: z
        .record(z.string(), z.unknown())
        .optional()
        .describe("an RFC 7396 merge patch of the config (null removes a setting)"),
    })
    .strict()
    .refine((b) => (b.config === undefined) !== (b.patch === undefined), "exactly one of config or patch"),
  cert_csr: z
    .object({ subject: z.string().max(200).optional().describe("default: /CN=hearth-<home>") })
    .strict(),
  cert_install: z
    .object({ certificate: z.string().min(1).max(16_000).describe("the signed client certificate, PEM") })
    .strict(),
} as const;

/** Events the commands above (and `hearth update`, `hearth decommission`) end in (docs/contract.md). */
export const FIELD_EVENTS = [
  "update_applied",
  "update_failed",
  "config_applied",
  "config_rolled_back",
  "decommissioned",
] as const;
export type FieldEvent = (typeof FIELD_EVENTS)[number];
