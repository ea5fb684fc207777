import { describe, expect, it } from "vitest";
import { hasMotionSensor } from "../../src/agent/motion-sensor.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";

/** `usual_stillness: auto` follows the home's devices (src/agent/motion-sensor.ts), read from the real catalogue. */
describe("hasMotionSensor", () => {
  const p = (id: string) => loadCatalogue().profiles.get(id);

  it("a BTHome PIR, a presence sensor or a Zigbee2MQTT PIR is one", () => {
    expect(hasMotionSensor([p("shelly-blu-motion")])).toBe(true);
    expect(hasMotionSensor([p("generic-bthome-presence")])).toBe(true);
    expect(hasMotionSensor([p("aqara-rtcgq11lm")])).toBe(true);
  });

  it("meters, a button and a door contact are not; nor an unknown profile", () => {
    expect(
      hasMotionSensor([
        p("eastron-sdm120"),
        p("shelly-blu-button1"),
        p("shelly-blu-door-window"),
        p("aqara-mccgq11lm"),
        undefined,
      ]),
    ).toBe(false);
    expect(hasMotionSensor([])).toBe(false);
  });
});
