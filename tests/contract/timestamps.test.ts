import { describe, expect, it } from "vitest";
import { isoWithOffset, localParts } from "../../src/contract/timestamps.js";

describe("timestamps", () => {
  it("writes ISO 8601 with the zone's offset", () => {
    const ms = Date.parse("2026-03-01T07:12:00+08:00");
    expect(isoWithOffset(ms, "Asia/Shanghai")).toBe("2026-03-01T07:12:00.000+08:00");
    expect(isoWithOffset(ms, "UTC")).toBe("2026-02-28T23:12:00.000+00:00");
    expect(isoWithOffset(ms + 5, "America/New_York")).toBe("2026-02-28T18:12:00.005-05:00");
    expect(Date.parse(isoWithOffset(ms + 123, "Asia/Kolkata"))).toBe(ms + 123);
  });

  it("gives local date, hour and weekday (Monday = 0)", () => {
    const ms = Date.parse("2026-03-01T23:30:00+08:00"); // a Sunday in Shanghai
    expect(localParts(ms, "Asia/Shanghai")).toEqual({ date: "2026-03-01", hour: 23, minute: 30, weekday: 6 });
    expect(localParts(ms, "UTC")).toEqual({ date: "2026-03-01", hour: 15, minute: 30, weekday: 6 });
  });
});
