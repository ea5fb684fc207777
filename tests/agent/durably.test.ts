import { describe, expect, it } from "vitest";
import { durablyThenPublish } from "../../src/agent/durably.js";

/** A fake outbox that logs where its groups begin and end, and an uplink that logs its passes. */
function parts() {
  const log: string[] = [];
  let depth = 0;
  return {
    log,
    outbox: {
      durably<T>(fn: () => T): T {
        log.push(`begin ${++depth}`);
        try {
          return fn();
        } finally {
          log.push(`end ${depth--}`);
        }
      },
    },
    uplink: { drainNow: () => log.push("pass") },
  };
}

describe("durablyThenPublish (the agent's durable groups)", () => {
  it("runs the uplink's pass once, after the outermost group has ended, not after an inner one", () => {
    const p = parts();
    const durably = durablyThenPublish(p);
    const r = durably(() => {
      durably(() => p.log.push("counter"));
      p.log.push("alert");
      return 7;
    });
    expect(r).toBe(7);
    expect(p.log).toEqual(["begin 1", "begin 2", "counter", "end 2", "alert", "end 1", "pass"]);
  });

  it("still runs the pass when the group's work throws, and lets the error through", () => {
    const p = parts();
    const durably = durablyThenPublish(p);
    expect(() =>
      durably(() => {
        p.log.push("alert");
        throw new Error("bad advert");
      }),
    ).toThrow("bad advert");
    expect(p.log).toEqual(["begin 1", "alert", "end 1", "pass"]);
    durably(() => p.log.push("next"));
    expect(p.log.slice(4)).toEqual(["begin 1", "next", "end 1", "pass"]);
  });
});
