import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classify,
  decodeState,
  parseAvailability,
  parseBridgeDevices,
  parseJson,
} from "../../../drivers/zigbee2mqtt/index.js";
import { loadProfile } from "../../helpers/profiles.js";

const motion = loadProfile("aqara-rtcgq11lm", "zigbee2mqtt").zigbee2mqtt;
const door = loadProfile("aqara-mccgq11lm", "zigbee2mqtt").zigbee2mqtt;
const fall = loadProfile("heiman-hs2fd-ef1", "zigbee2mqtt").zigbee2mqtt;
const button = loadProfile("aqara-wxkg11lm", "zigbee2mqtt").zigbee2mqtt;
const specs = [motion, door, fall, button];

describe("Zigbee2MQTT state payloads (shapes from the zigbee2mqtt.io device pages)", () => {
  it("RTCGQ11LM (zigbee2mqtt.io/devices/RTCGQ11LM.html): occupancy is a PIR trigger, battery and lux kept", () => {
    const d = decodeState(
      {
        battery: 100,
        occupancy: true,
        device_temperature: 26,
        voltage: 3045,
        illuminance: 12,
        linkquality: 87,
      },
      motion,
    );
    expect(d.readings).toEqual([
      { channel: "motion", value: 1 },
      { channel: "illuminance_lx", value: 12 },
      { channel: "battery_pct", value: 100 },
    ]);
    expect(d.notes).toEqual([]);
    expect(decodeState({ occupancy: false }, motion).readings).toEqual([{ channel: "motion", value: 0 }]);
  });

  it("MCCGQ11LM (zigbee2mqtt.io/devices/MCCGQ11LM.html): contact true is a closed door", () => {
    expect(decodeState({ contact: true, battery: 91 }, door).readings).toEqual([
      { channel: "door", value: 0 },
      { channel: "battery_pct", value: 91 },
    ]);
    expect(decodeState({ contact: false }, door).readings).toEqual([{ channel: "door", value: 1 }]);
  });

  it("HS2FD-EF1-3.0 (zigbee2mqtt.io/devices/HS2FD-EF1-3.0.html): fall_alarm is a fall, warning and unknown are nothing", () => {
    expect(
      decodeState({ occupancy: true, fall_status: "fall_alarm", sensor_status: "none" }, fall).readings,
    ).toEqual([
      { channel: "occupancy", value: 1 },
      { channel: "fall", value: 1 },
    ]);
    expect(decodeState({ fall_status: "normal" }, fall).readings).toEqual([{ channel: "fall", value: 0 }]);
    for (const v of ["fall_warning", "unknown"]) {
      const d = decodeState({ fall_status: v }, fall);
      expect(d.readings).toEqual([]);
      expect(d.notes).toEqual([]);
    }
  });

  it("WXKG11LM (zigbee2mqtt.io/devices/WXKG11LM.html): actions are button events; release and empty are not", () => {
    expect(decodeState({ action: "single", battery: 100, voltage: 3042 }, button)).toMatchObject({
      events: ["press"],
      readings: [{ channel: "battery_pct", value: 100 }],
    });
    expect(decodeState({ action: "double" }, button).events).toEqual(["double_press"]);
    expect(decodeState({ action: "hold" }, button).events).toEqual(["long_press"]);
    expect(decodeState({ action: "release" }, button).events).toEqual([]);
    expect(decodeState({ action: "" }, button)).toEqual({ readings: [], events: [], notes: [] });
    expect(button.actions).toMatchObject({ press: "call", double_press: "i_am_fine" });
  });

  it("a value of the wrong type is a note, and the rest of the message is kept", () => {
    const d = decodeState({ contact: "maybe", battery: 50 }, door);
    expect(d.readings).toEqual([{ channel: "battery_pct", value: 50 }]);
    expect(d.notes).toEqual(['contact: value "maybe" is not named in the profile (on/off/ignore)']);
    expect(decodeState({ fall_status: "sideways" }, fall).notes).toHaveLength(1);
    expect(decodeState({ occupancy: { x: 1 } }, motion).notes).toEqual([
      "occupancy: object is not a boolean, number or string",
    ]);
    expect(decodeState([1, 2], motion).notes).toEqual(["the state is a list, not a JSON object"]);
    expect(decodeState({ action: 3 }, button).notes).toEqual(["action: number is not a string"]);
  });
});

describe("Zigbee2MQTT bridge and availability payloads", () => {
  it("reads availability in both formats (JSON in recent versions, plain text in old ones)", () => {
    expect(parseAvailability('{"state":"online"}')).toBe("online");
    expect(parseAvailability('{"state":"offline"}')).toBe("offline");
    expect(parseAvailability("online")).toBe("online");
    expect(parseAvailability("offline\n")).toBe("offline");
    expect(parseAvailability('{"state":"sleeping"}')).toBeUndefined();
    expect(parseAvailability("{")).toBeUndefined();
  });

  it("reads bridge/devices: IEEE address to friendly name, bad entries noted", () => {
    const r = parseBridgeDevices([
      { ieee_address: "0x00124B0012345678", type: "Coordinator", friendly_name: "Coordinator" },
      {
        ieee_address: "0x00158d0001a2b3c4",
        type: "EndDevice",
        friendly_name: "hall/motion",
        supported: true,
      },
      { friendly_name: "no address" },
    ]);
    expect(r.devices).toEqual([
      { ieee: "0x00124b0012345678", friendlyName: "Coordinator" },
      { ieee: "0x00158d0001a2b3c4", friendlyName: "hall/motion" },
    ]);
    expect(r.notes).toEqual(["entry 2 has no ieee_address and friendly_name strings"]);
    expect(parseBridgeDevices({}).notes).toEqual(["the device list is object, not a JSON list"]);
  });

  it("classifies topics; friendly names may hold slashes; commands are not states", () => {
    expect(classify("zigbee2mqtt/bridge/devices", "zigbee2mqtt")).toEqual({ kind: "bridge_devices" });
    expect(classify("zigbee2mqtt/bridge/state", "zigbee2mqtt")).toEqual({ kind: "bridge_state" });
    expect(classify("zigbee2mqtt/bridge/logging", "zigbee2mqtt")).toEqual({ kind: "other" });
    expect(classify("zigbee2mqtt/hall/motion", "zigbee2mqtt")).toEqual({
      kind: "state",
      name: "hall/motion",
    });
    expect(classify("zigbee2mqtt/hall/motion/availability", "zigbee2mqtt")).toEqual({
      kind: "availability",
      name: "hall/motion",
    });
    expect(classify("zigbee2mqtt/hall/motion/set", "zigbee2mqtt")).toEqual({ kind: "other" });
    expect(classify("zigbee2mqttx/a", "zigbee2mqtt")).toEqual({ kind: "other" });
  });
});

describe("property: no payload makes the codec throw or invent values", () => {
  it("arbitrary JSON through every profile: readings are finite numbers of mapped channels", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...specs), (v, spec) => {
        const d = decodeState(v, spec);
        for (const r of d.readings) expect(Number.isFinite(r.value)).toBe(true);
        expect(d.events.every((e) => Object.values(spec.action_events).includes(e))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("arbitrary text through the JSON, availability and device-list readers", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const j = parseJson(text);
        if (j.ok) {
          parseBridgeDevices(j.value);
          for (const spec of specs) decodeState(j.value, spec);
        }
        expect([undefined, "online", "offline"]).toContain(parseAvailability(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("objects with the profile's own keys holding arbitrary values never throw", () => {
    const keys = ["occupancy", "contact", "battery", "fall_status", "action", "illuminance", "__proto__"];
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...keys), fc.jsonValue()),
        fc.constantFrom(...specs),
        (o, spec) => {
          const d = decodeState(o, spec);
          expect(d.readings.length).toBeLessThanOrEqual(Object.keys(spec.exposes).length);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
