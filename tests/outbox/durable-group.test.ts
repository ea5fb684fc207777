import { describe, expect, it } from "vitest";
import { DurableGroup } from "../../src/outbox/durable-group.js";

describe("DurableGroup", () => {
  it("ends the outermost group with one barrier when a commit was deferred, nested groups included", () => {
    const g = new DurableGroup();
    let barriers = 0;
    const barrier = () => {
      barriers++;
    };
    const out = g.run(() => {
      g.deferred();
      g.run(() => g.deferred(), barrier);
      expect(barriers).toBe(0);
      return 42;
    }, barrier);
    expect(out).toBe(42);
    expect(barriers).toBe(1);
    expect(g.active).toBe(false);
  });

  it("owes nothing when nothing was deferred", () => {
    const g = new DurableGroup();
    let barriers = 0;
    g.run(
      () => undefined,
      () => barriers++,
    );
    expect(barriers).toBe(0);
  });

  it("still makes durable what was committed before a throw, and passes the throw on", () => {
    const g = new DurableGroup();
    let barriers = 0;
    expect(() =>
      g.run(
        () => {
          g.deferred();
          throw new Error("sink failed");
        },
        () => barriers++,
      ),
    ).toThrow("sink failed");
    expect(barriers).toBe(1);
    expect(g.active).toBe(false);
  });
});
