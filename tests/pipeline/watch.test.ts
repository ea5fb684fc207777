import { describe, expect, it } from "vitest";
import { Watch, watchEvent } from "../../src/pipeline/watch.js";

describe("watch level", () => {
  it("starts where the config says, returns the previous level on a change, and scales limits only when heightened", () => {
    const w = new Watch(0.5, "away");
    expect(w.level).toBe("away");
    expect(w.factor()).toBe(1);
    expect(w.set("heightened")).toBe("away");
    expect(w.factor()).toBe(0.5);
    expect(w.set("normal")).toBe("heightened");
    expect(w.factor()).toBe(1);
    expect(new Watch(0.5).level).toBe("normal");
  });

  it("a level set until a time runs out at that time, not before; one without an end never does", () => {
    const w = new Watch(0.5);
    w.set("away", 1000);
    expect(w.expired(999)).toBe(false);
    expect(w.expired(1000)).toBe(true);
    w.set("heightened");
    expect(w.expired(Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it("hands out copies of its state", () => {
    const w = new Watch(0.5);
    w.set("away", 5000);
    const s = w.state();
    expect(s).toEqual({ level: "away", untilMs: 5000 });
    s.level = "normal";
    expect(w.level).toBe("away");
    w.set("normal");
    expect(w.state()).toEqual({ level: "normal" });
  });

  it("the event names the new and the previous level, and the end in the home's zone", () => {
    expect(watchEvent("away", "normal", Date.parse("2026-03-04T09:00:00Z"), "Asia/Shanghai")).toEqual({
      event: "watch_level",
      data: { level: "away", previous: "normal", until: "2026-03-04T17:00:00.000+08:00" },
    });
    expect(watchEvent("normal", "away", undefined, "Asia/Shanghai").data).toEqual({
      level: "normal",
      previous: "away",
    });
  });
});
