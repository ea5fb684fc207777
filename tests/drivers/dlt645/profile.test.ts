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
  it.each(["generic-dlt645-single-phase", "generic-dlt645-1997-single-phase", "generic-cjt188-cold-water"])(
    "%s is valid",
    (name) => {
      const { file, text } = load(name);
      const parsed = parseProfile(text, file);
      if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join("\n"));
      expect(parsed.value.id).toBe(name);
    },
  );

  it.each([
    {
      what: "names the file, field and line of a malformed identifier",
      name: "generic-dlt645-single-phase",
      from: 'di: "02010100"',
      to: 'di: "0201010"',
      said: ["generic-dlt645-single-phase.yaml:", "dlt645.identifiers[1].di"],
    },
    {
      what: "refuses an identifier whose format contradicts the standard",
      name: "generic-dlt645-single-phase",
      from: "length: 3\n      decimals: 3",
      to: "length: 3\n      decimals: 2",
      said: [
        "dlt645.identifiers[2].di",
        "02020100 (phase A current) is 3 byte(s), 3 decimal(s), signed in DL/T 645-2007",
      ],
    },
    {
      what: "refuses a 2007 identifier in a 1997 profile",
      name: "generic-dlt645-1997-single-phase",
      from: 'di: "B611"',
      to: 'di: "02010100"',
      said: ["dlt645.identifiers[1].di", "a 1997 identifier of 4 hex digits (02010100 is a 2007 one)"],
    },
    {
      what: "refuses a 1997 identifier whose format contradicts the 1997 table (volts are whole in 1997)",
      name: "generic-dlt645-1997-single-phase",
      from: "length: 2\n      decimals: 0",
      to: "length: 2\n      decimals: 1",
      said: ["B611 (phase A voltage) is 2 byte(s), 0 decimal(s), unsigned in DL/T 645-1997"],
    },
    {
      what: "refuses an identifier the table says is not a number (a date)",
      name: "generic-dlt645-single-phase",
      from: 'di: "02010100"',
      to: 'di: "04000101"',
      said: ["04000101 (date and weekday) is not a number in DL/T 645-2007 (format date)"],
    },
    {
      what: "refuses an edition that does not exist",
      name: "generic-dlt645-1997-single-phase",
      from: "edition: 1997",
      to: "edition: 2001",
      said: ["dlt645.edition"],
    },
    {
      what: "refuses an unknown DI order for CJ/T 188, naming the field",
      name: "generic-cjt188-cold-water",
      from: "di_order: standard",
      to: "di_order: backwards",
      said: ["generic-cjt188-cold-water.yaml:", "cjt188.di_order", '"standard", "swapped"'],
    },
  ])("$what", ({ name, from, to, said }) => {
    const { file, text } = load(name);
    expect(text).toContain(from);
    const parsed = parseProfile(text.replace(from, to), file);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const msg = parsed.problems.map(formatProblem).join("\n");
    for (const part of said) expect(msg).toContain(part);
  });
});
