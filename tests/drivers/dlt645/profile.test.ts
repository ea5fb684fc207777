import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatProblem } from "../../../src/core/yaml-validate.js";
import { parseProfile } from "../../../src/profiles/catalogue.js";

const dir = join(import.meta.dirname, "../../../device-profiles");

function load(name: string) {
  const file = join(dir, `${name}.yaml`);
  return { file, text: readFileSync(file, "utf8") };
}

describe("DL/T 645 and CJ/T 188 profiles", () => {
  it.each(["generic-dlt645-single-phase", "generic-cjt188-cold-water"])("%s is valid", (name) => {
    const { file, text } = load(name);
    const parsed = parseProfile(text, file);
    if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join("\n"));
    expect(parsed.value.id).toBe(name);
  });

  it("names the file, field and line of a malformed identifier", () => {
    const { file, text } = load("generic-dlt645-single-phase");
    const parsed = parseProfile(text.replace('di: "02010100"', 'di: "0201010"'), file);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const msg = parsed.problems.map(formatProblem).join("\n");
    expect(msg).toContain("generic-dlt645-single-phase.yaml:");
    expect(msg).toContain("dlt645.identifiers[1].di");
  });

  it("refuses an identifier whose format contradicts the standard", () => {
    const { file, text } = load("generic-dlt645-single-phase");
    const parsed = parseProfile(
      text.replace("length: 3\n      decimals: 3", "length: 3\n      decimals: 2"),
      file,
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const msg = parsed.problems.map(formatProblem).join("\n");
    expect(msg).toContain("dlt645.identifiers[2].di");
    expect(msg).toContain("02020100 (phase A current) is 3 byte(s), 3 decimal(s), signed in DL/T 645-2007");
  });

  it("refuses an unknown DI order for CJ/T 188, naming the field", () => {
    const { file, text } = load("generic-cjt188-cold-water");
    const parsed = parseProfile(text.replace("di_order: standard", "di_order: backwards"), file);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const msg = parsed.problems.map(formatProblem).join("\n");
    expect(msg).toContain("generic-cjt188-cold-water.yaml:");
    expect(msg).toContain("cjt188.di_order");
    expect(msg).toContain('"standard", "swapped"');
  });
});
