import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { configSchema } from "./config/schema.js";
import { COMMAND_BODIES, commandEnvelope, ENVELOPE_SCHEMAS, MESSAGE_TYPES } from "./contract/messages.js";
import { packageRoot } from "./core/paths.js";
import { deviceProfile } from "./profiles/schema.js";

/**
 * The published JSON Schemas, generated from the zod schemas the code validates with (one source).
 * Paths are relative to the package root.
 */
export function generatedSchemas(): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const gen = (s: z.ZodType, title: string, id: string) => ({
    ...z.toJSONSchema(s, { io: "input", unrepresentable: "any", target: "draft-2020-12" }),
    $id: id,
    title,
  });
  out.set(
    "deploy/config.schema.json",
    gen(configSchema, "Hearth gateway config", "https://hearth.invalid/schemas/config.schema.json"),
  );
  out.set(
    "device-profiles/profile.schema.json",
    gen(deviceProfile, "Hearth device profile", "https://hearth.invalid/schemas/profile.schema.json"),
  );
  for (const t of MESSAGE_TYPES) {
    out.set(
      `docs/schemas/${t}.schema.json`,
      gen(
        ENVELOPE_SCHEMAS[t],
        `Hearth v1 ${t} message`,
        `https://hearth.invalid/schemas/v1/${t}.schema.json`,
      ),
    );
  }
  out.set(
    `docs/schemas/command.schema.json`,
    gen(
      commandEnvelope,
      "Hearth v1 command envelope",
      "https://hearth.invalid/schemas/v1/command.schema.json",
    ),
  );
  for (const [name, body] of Object.entries(COMMAND_BODIES)) {
    out.set(
      `docs/schemas/cmd-${name}.schema.json`,
      gen(
        body,
        `Hearth v1 command body: ${name}`,
        `https://hearth.invalid/schemas/v1/cmd-${name}.schema.json`,
      ),
    );
  }
  return out;
}

export function schemaText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Files whose committed text differs from what the code generates now. */
export function staleSchemas(root = packageRoot()): string[] {
  const stale: string[] = [];
  for (const [rel, value] of generatedSchemas()) {
    let current: string | undefined;
    try {
      current = readFileSync(join(root, rel), "utf8");
    } catch {
      current = undefined;
    }
    if (current !== schemaText(value)) stale.push(rel);
  }
  return stale;
}

export function writeSchemas(root = packageRoot()): string[] {
  const written: string[] = [];
  for (const [rel, value] of generatedSchemas()) {
    writeFileSync(join(root, rel), schemaText(value));
    written.push(rel);
  }
  return written;
}
