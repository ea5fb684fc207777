/**
 * Property tests, at CI size, of what arrives as text: config and profile YAML, replay lines, downlink
 * commands and control socket lines (`npm run fuzz` runs the same targets at 10^6 cases).
 */
import { afterAll, describe, it } from "vitest";
import { expectNoEscape } from "./check.js";
import { closeControlRig, INPUT_TARGETS } from "./targets.js";

describe("fuzz: inputs", () => {
  afterAll(closeControlRig);
  for (const t of INPUT_TARGETS)
    it(t.name, async () => {
      await expectNoEscape(t);
    });
});
