import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCommandDispatcher } from "../../src/agent/commands.js";
import { signCommand, verifyCommand } from "../../src/contract/command-signing.js";
import { COMMAND_BODIES, type CommandName, commandEnvelope } from "../../src/contract/messages.js";
import { VirtualClock } from "../../src/core/clock.js";
import { parsePublicKey } from "../../src/core/ed25519-keys.js";
import { silentLogger } from "../../src/core/log.js";
import { packageRoot } from "../../src/core/paths.js";
import { TEST_CLOUD_KEY, TEST_CLOUD_PUBLIC_KEY } from "../helpers/commands.js";

const dir = join(packageRoot(), "tests/contract/golden");
const goldens = readdirSync(dir)
  .filter((f) => /^cmd-.*\.json$/.test(f))
  .map((f) => ({
    file: f,
    ...(JSON.parse(readFileSync(join(dir, f), "utf8")) as {
      topic: string;
      payload: Record<string, unknown>;
    }),
  }));
const keys = [parsePublicKey(TEST_CLOUD_PUBLIC_KEY)];

describe("golden signed commands (made with the test key, tests/fixtures/keys)", () => {
  it("exist for ack, watch and ping", () => {
    expect(goldens.map((g) => g.file).sort()).toEqual(["cmd-ack.json", "cmd-ping.json", "cmd-watch.json"]);
  });

  for (const g of goldens) {
    it(`${g.file}: valid, verifies, re-signs to the same bytes, and the gateway runs it`, async () => {
      const name = g.topic.split("/").pop() as CommandName;
      const env = commandEnvelope.parse(g.payload);
      expect(COMMAND_BODIES[name].safeParse(env.body).success).toBe(true);
      expect(verifyCommand(g.topic, g.payload, keys)).toBe(true);
      // Ed25519 is deterministic: the same bytes signed again give the same signature.
      const { sig, ...unsigned } = g.payload;
      expect(signCommand(g.topic, unsigned, TEST_CLOUD_KEY).sig).toBe(sig);
      const dispatch = createCommandDispatcher({
        home: g.topic.split("/")[2] as string,
        handlers: { ack: () => ({}), ping: () => ({}), watch: () => ({}), resend: () => ({}) },
        clock: new VirtualClock({ wallStartMs: Date.parse(env.ts) + 30_000 }),
        log: silentLogger(),
        security: { keys, insecure: false },
      });
      expect(await dispatch(name, Buffer.from(JSON.stringify(g.payload)))).toMatchObject({ status: "ok" });
    });
  }

  it("docs/contract.md's worked example is the golden ack", () => {
    const doc = readFileSync(join(packageRoot(), "docs/contract.md"), "utf8");
    const ack = goldens.find((g) => g.file === "cmd-ack.json");
    expect(doc).toContain(String(ack?.payload.sig));
  });
});
