import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildEnvelope } from "../../src/contract/envelope.js";
import {
  ALERT_KINDS,
  ALERT_STATES,
  BODY_SCHEMAS,
  type BodyOf,
  ENVELOPE_SCHEMAS,
  type Envelope,
  MESSAGE_TYPES,
  type MessageType,
} from "../../src/contract/messages.js";
import { packageRoot } from "../../src/core/paths.js";

/**
 * The golden gateway → cloud messages (tests/contract/golden/): one valid example per message type and
 * per alert kind and state, for receivers to test against. Command examples (cmd-*) are checked by the
 * command tests. Files named receiver-* are what a receiver must accept from a later gateway.
 */
const dir = join(packageRoot(), "tests", "contract", "golden");
const golden = readdirSync(dir)
  .filter((f) => f.endsWith(".json") && !f.startsWith("cmd-"))
  .sort()
  .map((file) => ({ file, env: JSON.parse(readFileSync(join(dir, file), "utf8")) as Envelope }));
const written = golden.filter((g) => !g.file.startsWith("receiver-"));
const alerts = written.filter((g) => g.env.type === "alert").map((g) => g.env.body as BodyOf["alert"]);

describe("golden messages", () => {
  it.each(golden.map((g) => [g.file, g.env] as const))(
    "%s is valid against the published contract",
    (file, env) => {
      const type = env.type as MessageType;
      expect(MESSAGE_TYPES).toContain(type);
      if (!file.startsWith("receiver-"))
        expect(file.startsWith(`${type}-`) || file === `${type}.json`).toBe(true);
      const parsed = ENVELOPE_SCHEMAS[type].safeParse(env);
      expect(parsed.error?.issues ?? []).toEqual([]);
      // Nothing defaulted or stripped: the file is the message as it travels.
      expect(parsed.data).toEqual(env);
    },
  );

  it.each(written.map((g) => [g.file, g.env] as const))(
    "%s is what the gateway writes, field for field",
    (_file, env) => {
      expect(BODY_SCHEMAS[env.type].safeParse(env.body).success).toBe(true);
      const rebuilt = buildEnvelope(env.type, env.body, {
        id: env.id,
        home: env.home,
        seq: env.seq,
        laneSeq: env.lane_seq,
        ts: env.ts,
        synced: env.clock === "synced",
      });
      expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(env));
    },
  );

  it("cover every message type, every alert kind raised and every alert state", () => {
    expect(new Set(written.map((g) => g.env.type))).toEqual(new Set(MESSAGE_TYPES));
    const raised = new Set(alerts.filter((a) => a.state === "raised").map((a) => a.kind));
    expect([...ALERT_KINDS].filter((k) => !raised.has(k))).toEqual([]);
    expect(new Set(alerts.map((a) => a.state))).toEqual(new Set(ALERT_STATES));
  });

  it("include a kind this gateway does not write, which receivers accept and the writer refuses", () => {
    const later = golden.filter((g) => g.file.startsWith("receiver-") && g.env.type === "alert");
    expect(later.length).toBeGreaterThan(0);
    for (const g of later) {
      expect(ALERT_KINDS).not.toContain((g.env.body as { kind: string }).kind);
      expect(BODY_SCHEMAS.alert.safeParse(g.env.body).success).toBe(false);
    }
  });

  it("put lane_seq on stored types only, in the published JSON Schemas too", () => {
    for (const t of MESSAGE_TYPES) {
      const schema = JSON.parse(
        readFileSync(join(packageRoot(), "docs", "schemas", `${t}.schema.json`), "utf8"),
      ) as {
        required: string[];
      };
      expect(schema.required.includes("lane_seq"), t).toBe(t !== "status" && t !== "reply");
    }
    for (const g of written)
      expect(g.env.lane_seq !== undefined, g.file).toBe(!["status", "reply"].includes(g.env.type));
  });
});
