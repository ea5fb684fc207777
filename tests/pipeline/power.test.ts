import { describe, expect, it } from "vitest";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { PowerModel } from "../../src/pipeline/power.js";

const T0 = Date.parse("2026-03-02T00:00:00+08:00");

/** Local hour in Shanghai for the night flag (00:00–05:00). */
const nightAt = (t: number) => new Date(t + 8 * HOUR_MS).getUTCHours() < 5;

/** Feeds `hours` of 1-minute readings: standby with a small wiggle and a fridge cycling. */
function runFridge(m: PowerModel, fromMs: number, hours: number, fridgeW = 85): number {
  let t = fromMs;
  for (let i = 0; i < hours * 60; i++, t += MINUTE_MS) {
    const fridgeOn = i % 45 < 14;
    const wiggle = (i % 3) - 1; // −1, 0, +1 W
    m.observe(30 + wiggle + (fridgeOn ? fridgeW : 0), t, nightAt(t));
  }
  return t;
}

describe("power model: standby band and machine steps", () => {
  it("learns the noise band: wiggles of a few watts are noise, never a person", () => {
    const m = new PowerModel({ coldStepW: 150, minStepW: 10, learnForMs: 0 });
    let t = T0;
    const verdicts = new Set<string>();
    for (let i = 0; i < 600; i++, t += MINUTE_MS) verdicts.add(m.observe(30 + ((i * 7) % 5) - 2, t, false));
    expect(verdicts.has("person")).toBe(false);
    expect(m.noiseW).toBeGreaterThan(0.5);
    expect(m.noiseW).toBeLessThan(5);
    expect(m.minStepW()).toBeGreaterThanOrEqual(10);
  });

  it("before it has learned, a fridge-sized step is not a person but a kettle is", () => {
    const m = new PowerModel({ coldStepW: 150, minStepW: 25, learnForMs: 24 * HOUR_MS });
    m.observe(30, T0, false);
    expect(m.observe(115, T0 + MINUTE_MS, false)).toBe("machine");
    expect(m.observe(30, T0 + 2 * MINUTE_MS, false)).toBe("machine");
    expect(m.observe(2030, T0 + 3 * MINUTE_MS, false)).toBe("person");
  });

  it("learns a fridge cycling day and night, then counts a 60 W lamp (below the cold step) but not the fridge", () => {
    const m = new PowerModel({ coldStepW: 150, minStepW: 25, learnForMs: 24 * HOUR_MS });
    const t = runFridge(m, T0, 48);
    expect(m.learned()).toBe(true);
    expect(m.machines(t).some((w) => w > 70 && w < 100)).toBe(true);
    // Fridge on again: a machine.
    m.observe(30, t, false);
    expect(m.observe(115, t + MINUTE_MS, false)).toBe("machine");
    // A lamp of 60 W on top: a person, although it is below the cold step of 150 W.
    expect(m.observe(175, t + 2 * MINUTE_MS, false)).toBe("person");
  });

  it("a step size seen often by day but never at night is not taken for a machine", () => {
    const m = new PowerModel({ coldStepW: 150, minStepW: 25, learnForMs: 0 });
    let t = T0 + 8 * HOUR_MS; // 08:00 local
    // Forty kettle boils in the daytime over two days: frequent, but never at night.
    for (let i = 0; i < 40; i++) {
      m.observe(30, t, false);
      m.observe(2030, t + MINUTE_MS, false);
      m.observe(30, t + 4 * MINUTE_MS, false);
      t += 30 * MINUTE_MS;
    }
    m.observe(30, t, false);
    expect(m.observe(2030, t + MINUTE_MS, false)).toBe("person");
  });

  it("switching off counts too, but a drop to nothing (mains gone) does not", () => {
    const m = new PowerModel({ coldStepW: 150, minStepW: 25, learnForMs: 0 });
    m.observe(30, T0, false);
    m.observe(230, T0 + MINUTE_MS, false);
    expect(m.observe(30, T0 + 2 * MINUTE_MS, false)).toBe("person");
    m.observe(230, T0 + 3 * MINUTE_MS, false);
    expect(m.observe(0, T0 + 4 * MINUTE_MS, false)).toBe("none");
  });

  it("what it learned survives a restart (toJSON / restore)", () => {
    const m = new PowerModel({ coldStepW: 150, minStepW: 25, learnForMs: 24 * HOUR_MS });
    const t = runFridge(m, T0, 48);
    const copy = new PowerModel({ coldStepW: 150, minStepW: 25, learnForMs: 24 * HOUR_MS });
    copy.restore(JSON.parse(JSON.stringify(m.toJSON())));
    expect(copy.learned()).toBe(true);
    expect(copy.machines(t)).toEqual(m.machines(t));
    copy.observe(30, t, false);
    expect(copy.observe(115, t + MINUTE_MS, false)).toBe("machine");
    const fresh = new PowerModel({ coldStepW: 50, minStepW: 25, learnForMs: 24 * HOUR_MS });
    fresh.observe(30, t, false);
    expect(fresh.observe(115, t + MINUTE_MS, false)).toBe("person");
  });
});

describe("power model: hysteresis", () => {
  /** `hours` of standby only (a small wiggle), no machine running. */
  function flat(m: PowerModel, fromMs: number, hours: number): number {
    let t = fromMs;
    for (let i = 0; i < hours * 60; i++, t += MINUTE_MS) m.observe(30 + (i % 3) - 1, t, nightAt(t));
    return t;
  }

  it("a learned machine stays one until its counts fall to half, then its step is a person again", () => {
    const m = new PowerModel({ coldStepW: 150, minStepW: 25, learnForMs: 24 * HOUR_MS });
    let t = runFridge(m, T0, 48);
    // 40 h without the fridge: its night count has decayed below the threshold to learn it
    // (8), not below half of it. A freezer that cycles rarely at night lives in this band.
    t = flat(m, t, 40);
    // …and the hysteresis survives a restart.
    const copy = new PowerModel({ coldStepW: 150, minStepW: 25, learnForMs: 24 * HOUR_MS });
    copy.restore(JSON.parse(JSON.stringify(m.toJSON())));
    copy.observe(30, t - MINUTE_MS, false);
    expect(copy.observe(115, t, false)).toBe("machine");
    expect(m.observe(115, t, false)).toBe("machine");
    expect(m.observe(30, t + MINUTE_MS, false)).toBe("machine");
    // Another 30 h: below half. A step of that size is no longer taken for the fridge.
    t = flat(m, t + 2 * MINUTE_MS, 30);
    expect(m.observe(115, t, false)).toBe("person");
  });
});

describe("power model: two machines at once", () => {
  /** A model that has watched two days of a 60 W fridge (period 40 min) and a 95 W freezer (55 min). */
  function fridgeAndFreezer(): { m: PowerModel; t: number } {
    const m = new PowerModel({ coldStepW: 150, minStepW: 15, learnForMs: 24 * HOUR_MS });
    let t = T0;
    for (let i = 0; i < 48 * 60; i++, t += MINUTE_MS) {
      const fridge = i % 40 < 12 ? 60 : 0;
      const freezer = (i + 20) % 55 < 15 ? 95 : 0;
      m.observe(20 + fridge + freezer + (i % 2), t, nightAt(t));
    }
    return { m, t };
  }

  it("a fridge switching off as the freezer switches on (one small step) is not a person; a television is", () => {
    const { m, t } = fridgeAndFreezer();
    m.observe(80, t, false); // fridge running
    expect(m.observe(115, t + MINUTE_MS, false)).toBe("machine"); // fridge off, freezer on: +35 W
    m.observe(20, t + 2 * MINUTE_MS, false);
    expect(m.observe(220, t + 3 * MINUTE_MS, false)).toBe("person"); // a 200 W television
  });

  it("both compressors starting, or stopping, in one poll (one step of their sum) is not a person either", () => {
    const { m, t } = fridgeAndFreezer();
    m.observe(20, t, false);
    expect(m.observe(175, t + MINUTE_MS, false)).toBe("machine"); // both on: +155 W
    expect(m.observe(21, t + 2 * MINUTE_MS, false)).toBe("machine"); // both off: −154 W
    // The price: a person's load of the same size is taken for the pair (documented in DETECTION.md);
    // a clearly different one is not.
    expect(m.observe(21 + 250, t + 3 * MINUTE_MS, false)).toBe("person");
  });
});
