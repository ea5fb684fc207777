import { describe, expect, it } from "vitest";
import { channelsByObjectId, validateBthomeDevice } from "../../../drivers/bthome/devices.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";

const OURS = [
  "shelly-blu-button1",
  "generic-bthome-button",
  "shelly-blu-door-window",
  "shelly-blu-motion",
  "generic-bthome-motion",
  "generic-bthome-presence",
];

/** The BTHome object ids a profile's channels read, with the channel each feeds. */
function objectChannels(id: string): Record<string, string> {
  const p = shared.profiles.get(id);
  if (p?.protocol !== "bthome") throw new Error(`${id} is not a bthome profile`);
  const out: Record<string, string> = {};
  for (const [oid, ch] of channelsByObjectId(p)) out[`0x${oid.toString(16).padStart(2, "0")}`] = ch;
  return out;
}

const shared = loadCatalogue();

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

  it("the motion and presence sensors read the BTHome objects they are documented with (issue 10)", () => {
    const motion = { "0x01": "battery_pct", "0x05": "illuminance_lx", "0x21": "motion" };
    expect(objectChannels("shelly-blu-motion")).toEqual(motion);
    expect(objectChannels("generic-bthome-motion")).toEqual(motion);
    // Occupancy and presence both feed the occupancy channel (the contract's telemetry channel).
    expect(objectChannels("generic-bthome-presence")).toEqual({
      "0x01": "battery_pct",
      "0x05": "illuminance_lx",
      "0x23": "occupancy",
      "0x25": "occupancy",
    });
  });

  it("no sensor profile turns a button event into a call (a sensor's button is for pairing)", () => {
    for (const p of catalogue.profiles.values())
      if (p.protocol === "bthome" && p.kind === "sensor")
        expect(Object.values(p.bthome.actions), p.id).not.toContain("call");
  });
});
