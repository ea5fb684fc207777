/**
 * Property tests of every codec at CI size (`npm run fuzz` runs the same targets at 10^6 cases): any
 * bytes give a value or a typed HearthError, and decode(encode(x)) is x.
 */
import { describe, expect, it } from "vitest";
import { HearthError } from "../../src/core/errors.js";
import { bthomeDecode, receiverPresses } from "./bthome.targets.js";
import { expectNoEscape } from "./check.js";
import { fuzz, invariant } from "./harness.js";
import { CODEC_TARGETS } from "./targets.js";

describe("fuzz: codecs", () => {
  for (const t of CODEC_TARGETS)
    it(t.name, async () => {
      const r = await expectNoEscape(t);
      // The inputs reach past the first check: some cases decode, some fail typed (both, for decoders).
      if (t.name.endsWith(".decode")) expect(Object.keys(r.typed).length).toBeGreaterThan(1);
      // Not vacuous: the plain button's presses do get through, only the keyed one's are refused.
      if (t.name === "ble.receiver") {
        expect(receiverPresses().get("plain") ?? 0).toBeGreaterThan(0);
        expect(receiverPresses().get("keyed") ?? 0).toBe(0);
      }
    });
});

describe("fuzz: the harness itself", () => {
  it("reports an untyped throw as an escape with a shrunk counterexample, and counts typed errors", async () => {
    const r = await fuzz(
      {
        name: "self-test",
        ciRuns: 200,
        arbitrary: bthomeDecode.arbitrary,
        run({ bytes }) {
          if (bytes.length > 10) throw new TypeError("boom");
          bthomeDecode.run({ bytes });
        },
      },
      { numRuns: 200 },
    );
    expect(r.escape?.error).toMatch(/TypeError: boom/);
    // Shrunk to the smallest failing input: 11 bytes.
    expect(r.escape?.counterexample).toMatch(/bytes/);
    expect(Object.values(r.typed).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it("treats a failed invariant and a HearthError outside the allowed codes as escapes", async () => {
    const inv = await fuzz(
      { name: "inv", ciRuns: 10, arbitrary: bthomeDecode.arbitrary, run: () => invariant(false, "never") },
      { numRuns: 10 },
    );
    expect(inv.escape?.error).toMatch(/FuzzInvariantError: never/);
    const internal = await fuzz(
      {
        name: "internal",
        ciRuns: 10,
        arbitrary: bthomeDecode.arbitrary,
        run: () => {
          throw new HearthError("bug", 900);
        },
      },
      { numRuns: 10 },
    );
    expect(internal.escape?.error).toMatch(/HearthError: bug/);
  });
});
