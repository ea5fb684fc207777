import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { signCommand } from "../../src/contract/command-signing.js";
import { commandTopic } from "../../src/contract/topics.js";
import { parsePrivateKey, parsePublicKey, rawPublicKey } from "../../src/core/ed25519-keys.js";
import { packageRoot } from "../../src/core/paths.js";

const KEYS = join(packageRoot(), "tests/fixtures/keys");
/** The tests' stand-in for the cloud's signing key (tests/fixtures/keys/README.md): never a real one. */
export const TEST_CLOUD_KEY_FILE = join(KEYS, "test-cloud.key.pem");
export const TEST_CLOUD_KEY = parsePrivateKey(readFileSync(TEST_CLOUD_KEY_FILE, "utf8"));
export const TEST_CLOUD_PUBLIC_PEM = readFileSync(join(KEYS, "test-cloud.pub.pem"), "utf8");
/** The public key as a config's `cloud.commands.public_key` (32 bytes, base64). */
export const TEST_CLOUD_PUBLIC_KEY = rawPublicKey(parsePublicKey(TEST_CLOUD_PUBLIC_PEM));
/** A key no gateway in the tests knows: what a forger has. */
export const OTHER_KEY = parsePrivateKey(readFileSync(join(KEYS, "other.key.pem"), "utf8"));

/** The `cloud.commands` YAML lines (indented for a `cloud:` section) of a gateway that trusts the test key. */
export const TEST_COMMANDS_YAML = `  commands:\n    public_key: ${TEST_CLOUD_PUBLIC_KEY}\n`;

export interface CommandOptions {
  id?: string;
  /** When it was sent (wall ms); default now. */
  nowMs?: number;
  /** expires − ts; default 5 minutes. */
  ttlMs?: number;
  /** Fields to set or replace before signing (`ts`, `expires`, …). */
  extra?: Record<string, unknown>;
  /** Fields left out before signing (`expires`, …). */
  without?: string[];
  /** Sign with this key instead of the test cloud's; null: unsigned. */
  key?: ReturnType<typeof parsePrivateKey> | null;
}

/** A command as the cloud would publish it to `home`, signed with the test key unless told otherwise. */
export function testCommand(
  home: string,
  name: string,
  body: unknown,
  o: CommandOptions = {},
): Record<string, unknown> {
  const now = o.nowMs ?? Date.now();
  const cmd: Record<string, unknown> = {
    v: 1,
    id: o.id ?? `cmd-${randomUUID()}`,
    ts: new Date(now).toISOString(),
    expires: new Date(now + (o.ttlMs ?? 5 * 60_000)).toISOString(),
    body,
    ...o.extra,
  };
  for (const f of o.without ?? []) delete cmd[f];
  const key = o.key === undefined ? TEST_CLOUD_KEY : o.key;
  return key === null ? cmd : signCommand(commandTopic(home, name), cmd, key);
}

/** testCommand as the MQTT payload. */
export function testCommandPayload(
  home: string,
  name: string,
  body: unknown,
  o: CommandOptions = {},
): Buffer {
  return Buffer.from(JSON.stringify(testCommand(home, name, body, o)));
}
