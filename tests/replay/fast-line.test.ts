import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CHANNELS } from "../../src/core/channels.js";
import { parseJsonLine, parseLine } from "../../src/replay/input.js";
import { fastReading } from "../../src/replay/reading-line.js";
import { commonTs, generalTs } from "../../src/replay/timestamp.js";
import { Household, recordLine } from "../../src/sim/household.js";

/**
 * The in-place reading of the common replay line (reading-line.ts) and the arithmetic of the common
 * time (timestamp.ts) are speed only: wherever they answer, they must give what JSON.parse and
 * Date.parse give. Checked on generated lines near the edges of what they accept, in sequence (they
 * keep the last time and device to compare in place).
 */

const two = (n: number) => String(n).padStart(2, "0");
const tsText = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        y: fc.oneof(fc.integer({ min: 1970, max: 2100 }), fc.integer({ min: 0, max: 9999 })),
        mo: fc.integer({ min: 0, max: 13 }),
        d: fc.integer({ min: 0, max: 32 }),
        h: fc.integer({ min: 0, max: 25 }),
        mi: fc.integer({ min: 0, max: 61 }),
        s: fc.option(fc.integer({ min: 0, max: 61 })),
        frac: fc.option(fc.stringMatching(/^[0-9]{1,10}$/)),
        zone: fc.oneof(
          fc.constantFrom(
            "Z",
            "z",
            "+08:00",
            "-00:00",
            "+00:00",
            "-05:30",
            "+05:45",
            "+24:00",
            "+23:59",
            "+08:60",
            "+0800",
            "",
          ),
          fc.stringMatching(/^[+-][0-9]{2}:[0-9]{2}$/),
        ),
      })
      .map(({ y, mo, d, h, mi, s, frac, zone }) => {
        const sec = s === null ? "" : `:${two(s)}${frac === null ? "" : `.${frac}`}`;
        return `${String(y).padStart(4, "0")}-${two(mo)}-${two(d)}T${two(h)}:${two(mi)}${sec}${zone}`;
      }),
  },
  fc.constantFrom(
    "2026-02-29T08:00:00Z",
    "2028-02-29T08:00:00Z",
    "2100-02-29T08:00:00Z",
    "2000-02-29T08:00:00Z",
    "2026-03-01 08:00:00Z",
    "2026-03-01t08:00:00Z",
    "+275760-09-13T00:00:00Z",
    "2026-3-01T08:00:00Z",
  ),
  fc.string({ maxLength: 30 }),
);

const jsonText = (v: unknown) => JSON.stringify(v);
const valueText = fc.oneof(
  fc.double().map((v) => (Number.isFinite(v) ? jsonText(v) : "1e400")),
  fc.integer().map(String),
  fc.constantFrom(
    "-0",
    "0",
    "0.0",
    "1.50",
    "01",
    "1.",
    ".5",
    "-",
    "1e5",
    "1E+5",
    "2e-3",
    "1e",
    "true",
    "false",
    "null",
  ),
  fc.constantFrom('"press"', '""', "[1]", "{}", "123456789012345678", "0.1234567890123456789", "-12.75"),
  fc.stringMatching(/^-?[0-9]{1,18}(\.[0-9]{1,18})?([eE][+-]?[0-9]{1,3})?$/),
);
const stringText = (chars: fc.Arbitrary<string>) => chars.map((s) => `"${s}"`);
const deviceText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('"meter-1"', '"water-1"', '"motion-1"', '""') },
  stringText(fc.string({ maxLength: 8 })),
  fc.string({ maxLength: 8 }).map(jsonText),
  fc.constantFrom('"a\\"b"', '"a\\u0041"', '"tab\there"', '"Küche"', "1", "null"),
);
const channelText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...Object.keys(CHANNELS)).map(jsonText) },
  fc
    .constantFrom("presence", "button", "constructor", "__proto__", "toString", "power_w ", "power")
    .map(jsonText),
  fc.constantFrom('"power\\u005fw"', "7", '"motion"'),
);
type Parts = { ts: string; device: string; channel: string; value: string };
const KEYS = ["ts", "device", "channel", "value"] as const;
const line = fc
  .record({
    ts: fc.oneof(
      { weight: 5, arbitrary: tsText.map(jsonText) },
      fc.constantFrom('"2026-03-01T08:00:00+08:00"', "1"),
    ),
    device: deviceText,
    channel: channelText,
    value: valueText,
    layout: fc.constantFrom(
      "plain",
      "plain",
      "plain",
      "spaced",
      "reordered",
      "extra",
      "duplicate",
      "trailing",
    ),
  })
  .map(({ layout, ...p }: Parts & { layout: string }) => {
    const pairs = KEYS.map((k) => `"${k}":${p[k]}`);
    if (layout === "spaced") return `{ ${pairs.join(", ")} }`;
    if (layout === "reordered") return `{${[...pairs].reverse().join(",")}}`;
    if (layout === "extra") return `{${pairs.join(",")},"note":1}`;
    if (layout === "duplicate") return `{${pairs.join(",")},"value":5}`;
    if (layout === "trailing") return `{${pairs.join(",")}} `;
    return `{${pairs.join(",")}}`;
  });

describe("replay input read in place", () => {
  it("gives what JSON.parse gives wherever it answers, over runs of generated lines", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(line, fc.constantFrom(...sampleLines(8))), { maxLength: 30 }),
        (lines) => {
          for (const l of lines) {
            const fast = fastReading(l);
            if (fast !== undefined) expect(fast).toEqual(parseJsonLine(l));
            expect(parseLine(l)).toEqual(parseJsonLine(l));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("answers for the lines the household simulator writes, repeated times and devices included", () => {
    const lines = sampleLines(400);
    expect(lines.length).toBe(400);
    for (const l of lines) {
      const fast = fastReading(l);
      expect(fast).toBeDefined();
      expect(fast).toEqual(parseJsonLine(l));
    }
  });

  it("reads a value of many digits exactly as JSON.parse does", () => {
    const digitsAt = fc
      .record({
        digits: fc.stringMatching(/^[1-9][0-9]{12,17}$/),
        point: fc.integer({ min: 0, max: 17 }),
        neg: fc.boolean(),
      })
      .map(({ digits, point, neg }) => {
        const p = Math.min(point, digits.length - 1);
        const text =
          p === 0 ? digits : `${digits.slice(0, digits.length - p)}.${digits.slice(digits.length - p)}`;
        return `${neg ? "-" : ""}${text}`;
      });
    fc.assert(
      fc.property(digitsAt, (v) => {
        const l = `{"ts":"2026-03-02T07:12:00+08:00","device":"meter-1","channel":"power_w","value":${v}}`;
        expect(fastReading(l)).toEqual(parseJsonLine(l));
      }),
      { numRuns: 20_000 },
    );
  });

  it("takes the common time by arithmetic exactly as Date.parse does", () => {
    fc.assert(
      fc.property(tsText, (s) => {
        const fast = commonTs(s);
        if (fast !== undefined) expect(fast).toEqual(generalTs(s));
      }),
      { numRuns: 20_000 },
    );
    expect(commonTs("2026-03-02T07:12:00.000+08:00")).toEqual({
      ms: Date.parse("2026-03-02T07:12:00.000+08:00"),
      offsetMin: 480,
    });
    expect(commonTs("2026-03-02T07:12-05:30")).toEqual(generalTs("2026-03-02T07:12-05:30"));
  });
});

/** The first `n` lines of a simulated home with motion and a door, as `hearth replay` reads them. */
function sampleLines(n: number): string[] {
  const h = new Household({ seed: 5, days: 1, senses: { motion: true, door: true } });
  const out: string[] = [];
  for (const r of h.records()) {
    if (r.kind !== "reading") continue;
    out.push(recordLine(r));
    if (out.length === n) break;
  }
  return out;
}
