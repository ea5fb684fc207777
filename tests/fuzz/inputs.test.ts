/**
 * Property tests, at CI size, of what arrives as text: config and profile YAML, replay lines, downlink
 * commands and control socket lines (`npm run fuzz` runs the same targets at 10^6 cases).
 */
import { afterAll, describe, expect, it } from "vitest";
import { expectNoEscape } from "./check.js";
import { commandReplies } from "./inputs.targets.js";
import { closeControlRig, INPUT_TARGETS } from "./targets.js";

describe("fuzz: inputs", () => {
  afterAll(closeControlRig);
  for (const t of INPUT_TARGETS)
    it(t.name, async () => {
      await expectNoEscape(t);
      // Not vacuous: signed, in-date commands do run, and every kind of refusal is reached.
      if (t.name === "commands.dispatch")
        for (const code of ["ok", "unsigned", "bad_signature", "expired", "invalid", "unknown_command"])
          expect(commandReplies().get(code) ?? 0, code).toBeGreaterThan(0);
    });
});
