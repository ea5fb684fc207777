import { describe, expect, it } from "vitest";
import { validateBthomeDevice } from "../../../drivers/bthome/devices.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";

const OURS = ["shelly-blu-button1", "generic-bthome-button", "shelly-blu-door-window"];

describe("BTHome device profiles", () => {
  const catalogue = loadCatalogue();

  it.each(OURS)("%s loads without problems and its channel map fits the BTHome objects", (id) => {
    expect(catalogue.problems.filter((p) => p.file.includes(id))).toEqual([]);
    const profile = catalogue.profiles.get(id);
    if (profile?.protocol !== "bthome") throw new Error(`${id} is not a bthome profile`);
    expect(profile.source.length).toBeGreaterThan(20);
    expect(
      validateBthomeDevice({ config: { id: "d", profile: id, mac: "AA:BB:CC:DD:EE:FF" }, profile }),
    ).toEqual([]);
  });

  it("the call buttons map a single press to a call", () => {
    for (const id of ["shelly-blu-button1", "generic-bthome-button"]) {
      const p = catalogue.profiles.get(id);
      expect(p?.protocol === "bthome" && p.bthome.actions.press).toBe("call");
    }
  });
});
