import { generateKeyPairSync, randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { MAX_COMMAND_VALIDITY_MS } from "../agent/command-guard.js";
import { signCommand } from "../contract/command-signing.js";
import { COMMAND_BODIES, CONTRACT_VERSION, type CommandName, commandEnvelope } from "../contract/messages.js";
import { commandTopic } from "../contract/topics.js";
import { parseDuration } from "../core/duration.js";
import { parsePrivateKey, rawPublicKey } from "../core/ed25519-keys.js";
import { errorMessage } from "../core/errors.js";
import { MINUTE_MS } from "../core/time.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson } from "./io.js";

/**
 * `hearth keygen --out <file>`: a new Ed25519 key pair for signing commands. The private key goes to
 * <file> (mode 0600, never overwritten: a lost signing key is a reconfigured fleet), the public key to
 * <file>.pub; stdout gets the public key as the config wants it.
 */
export function keygenCommand(opts: { out: string }): void {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const pub = `${opts.out}.pub`;
  try {
    writeFileSync(opts.out, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600, flag: "wx" });
    writeFileSync(pub, publicKey.export({ format: "pem", type: "spki" }), { mode: 0o644, flag: "wx" });
  } catch (e) {
    throw new CliExit(EXIT.failed, `hearth keygen: ${errorMessage(e)}`);
  }
  process.stderr.write(
    `hearth keygen: private key in ${opts.out} (keep it with the cloud, never on a gateway), public key in ${pub}\n`,
  );
  process.stdout.write(`cloud:\n  commands:\n    public_key: ${rawPublicKey(publicKey)}\n`);
}

export interface SignOptions {
  key: string;
  home: string;
  id?: string;
  ttl: string;
}

/** `hearth sign --key <file> --home <id> <command> [body]`: prints one signed command on stdout. */
export function signCommandCli(name: string, bodyText: string | undefined, opts: SignOptions): void {
  if (!Object.hasOwn(COMMAND_BODIES, name))
    throw new CliExit(
      EXIT.usage,
      `hearth sign: unknown command "${name}" (known: ${Object.keys(COMMAND_BODIES).join(", ")})`,
    );
  const ttlMs = parseDuration(opts.ttl);
  if (ttlMs === undefined || ttlMs <= 0 || ttlMs > MAX_COMMAND_VALIDITY_MS)
    throw new CliExit(
      EXIT.usage,
      `hearth sign: --ttl ${opts.ttl}: a duration up to ${MAX_COMMAND_VALIDITY_MS / MINUTE_MS}m (e.g. 5m)`,
    );
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(opts.home))
    throw new CliExit(EXIT.usage, "hearth sign: --home: letters, digits, '-' and '_', at most 64");
  let body: unknown;
  try {
    body = JSON.parse(bodyText ?? "{}");
  } catch (e) {
    throw new CliExit(EXIT.usage, `hearth sign: the body is not JSON: ${errorMessage(e)}`);
  }
  const parsedBody = COMMAND_BODIES[name as CommandName].safeParse(body);
  if (!parsedBody.success)
    throw new CliExit(
      EXIT.failed,
      `hearth sign: ${name} body is invalid: ${parsedBody.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  let keyText: string;
  try {
    keyText = readFileSync(opts.key, "utf8");
  } catch (e) {
    throw new CliExit(EXIT.failed, `hearth sign: ${errorMessage(e)}`);
  }
  let key: ReturnType<typeof parsePrivateKey>;
  try {
    key = parsePrivateKey(keyText);
  } catch (e) {
    throw new CliExit(EXIT.failed, `hearth sign: ${opts.key}: ${errorMessage(e)}`);
  }
  const now = Date.now();
  const cmd = {
    v: CONTRACT_VERSION,
    id: opts.id ?? randomUUID(),
    ts: new Date(now).toISOString(),
    expires: new Date(now + ttlMs).toISOString(),
    body: body as Record<string, unknown>,
  };
  const env = commandEnvelope.safeParse(cmd);
  if (!env.success)
    throw new CliExit(
      EXIT.usage,
      `hearth sign: ${env.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  const topic = commandTopic(opts.home, name);
  process.stderr.write(`hearth sign: publish on ${topic}\n`);
  printJson(signCommand(topic, cmd, key), false);
}
