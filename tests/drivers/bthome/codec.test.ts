import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BTHOME_UUID,
  encodeAdvertisingPayload,
  findServiceData,
} from "../../../drivers/bthome/advertising.js";
import {
  decodeBthome,
  decodeServiceData,
  encodeObjects,
  encodeServiceData,
} from "../../../drivers/bthome/codec.js";
import { decodeBthomeAdvert } from "../../../drivers/bthome/decode.js";
import { keyFromHex } from "../../../drivers/bthome/encryption.js";
import { OBJECTS } from "../../../drivers/bthome/objects.js";
import { SimulatedButton, SimulatedScanner } from "../../../drivers/bthome/sim/index.js";
import type { ButtonEvent } from "../../../src/core/channels.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";
import { FORMAT_EXAMPLE_DECODED } from "../../helpers/bthome.js";

const bytes = (...b: number[]) => Uint8Array.from(b);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function codeOf(fn: () => unknown): number | string {
  try {
    fn();
  } catch (e) {
    return isHearthError(e) ? e.code : `not a HearthError: ${String(e)}`;
  }
  return "no error";
}

// Keys and MACs of the public vectors below.
const KEY_HT = "231d39c1d7cc1ab1aee224cd096db932"; // bthome.io/encryption and bthome-ble tests
const MAC_HT = "54:48:E6:8F:80:A5";
const KEY_BUTTON = "90bffd73cb6b26ef58a7a8eba9232036"; // bthome-ble test_encrypted_shelly_blu_button_event
const MAC_BUTTON = "B4:35:22:F5:3D:A4";

describe("BTHome v2 examples of the specification (bthome.io/format, bthome.io/encryption)", () => {
  it("decodes the whole advertising payload of the format page (temperature 25.00 °C, humidity 50.55 %)", () => {
    const adv = bytes(
      0x02, // AD length 2
      0x01, // AD type: flags
      0x06, // LE general discoverable, BR/EDR not supported
      0x0b, // AD length 11
      0x09, // AD type: complete local name
      0x44, // D
      0x49, // I
      0x59, // Y
      0x2d, // -
      0x73, // s
      0x65, // e
      0x6e, // n
      0x73, // s
      0x6f, // o
      0x72, // r
      0x0a, // AD length 10
      0x16, // AD type: service data, 16-bit UUID
      0xd2, // UUID 0xFCD2, low byte
      0xfc, // UUID high byte
      0x40, // device info: not encrypted, not trigger based, version 2
      0x02, // object 0x02 temperature, sint16 × 0.01
      0xc4, //   0x09C4 = 2500 …
      0x09, //   … → 25.00 °C
      0x03, // object 0x03 humidity, uint16 × 0.01
      0xbf, //   0x13BF = 5055 …
      0x13, //   … → 50.55 %
    );
    expect(decodeBthomeAdvert(hex(adv))).toEqual(FORMAT_EXAMPLE_DECODED);
  });

  it("decrypts the encryption page's example (key 231d…, MAC 5448E68F80A5, counter 00112233)", () => {
    // Same frame in bthome-ble tests/test_parser_v2.py test_bindkey_correct.
    const sd = bytes(
      0x41, // device info: encrypted, version 2
      0xa4, // ciphertext of 02 ca 09 03 bf 13 …
      0x72,
      0x66,
      0xc9,
      0x5f,
      0x73, // … end of ciphertext
      0x00, // counter, uint32 LE: 0x33221100
      0x11,
      0x22,
      0x33,
      0x78, // MIC (4 bytes)
      0x23,
      0x72,
      0x14,
    );
    expect(decodeBthomeAdvert(hex(sd), { mac: MAC_HT, key: KEY_HT })).toEqual({
      version: 2,
      encrypted: true,
      trigger_based: false,
      mac: MAC_HT,
      counter: 0x33221100,
      objects: [
        { id: 0x02, name: "temperature", value: 25.06, unit: "°C", key: "temperature" },
        { id: 0x03, name: "humidity", value: 50.55, unit: "%", key: "humidity" },
      ],
      events: [],
      notes: [],
    });
  });

  it("re-encrypting the example with our encoder gives the same bytes", () => {
    const sd = encodeServiceData(bytes(0x02, 0xca, 0x09, 0x03, 0xbf, 0x13), {
      key: keyFromHex(KEY_HT),
      mac: MAC_HT,
      counter: 0x33221100,
    });
    expect(hex(sd)).toBe("41a47266c95f730011223378237214");
  });
});

describe("vectors of bthome-ble (Bluetooth-Devices/bthome-ble, tests/test_parser_v2.py)", () => {
  it("Shelly BLU Button1 press: packet id, battery, button (test_bthome_shelly_button)", () => {
    const sd = bytes(
      0x40, // device info: v2, plain
      0x00, // packet id
      0x52, //   82
      0x01, // battery %
      0x64, //   100
      0x3a, // button event
      0x01, //   press
    );
    expect(decodeBthomeAdvert(hex(sd))).toEqual({
      version: 2,
      encrypted: false,
      trigger_based: false,
      packet_id: 82,
      objects: [{ id: 0x01, name: "battery", value: 100, unit: "%", key: "battery" }],
      events: [{ key: "button", id: 0x3a, name: "button", event: "press", event_id: 1, index: 1 }],
      notes: [],
    });
  });

  it("encrypted Shelly BLU Button1 (test_encrypted_shelly_blu_button_event)", () => {
    // bthome-ble only asserts that the key verifies; the plaintext 00 07 01 64 3a 01 is what the MIC
    // authenticates, so the whole result below could only come out with the right key and MAC.
    const sd = bytes(
      0x45, // device info: encrypted, trigger based, v2
      0x0a, // ciphertext (6 bytes)
      0xeb,
      0x84,
      0x46,
      0x7f,
      0x85,
      0xba, // counter LE: 442
      0x01,
      0x00,
      0x00,
      0x31, // MIC
      0x88,
      0x78,
      0x8c,
    );
    expect(decodeBthomeAdvert(hex(sd), { mac: MAC_BUTTON.replace(/:/g, ""), key: KEY_BUTTON })).toEqual({
      version: 2,
      encrypted: true,
      trigger_based: true,
      mac: MAC_BUTTON,
      packet_id: 7,
      counter: 442,
      objects: [{ id: 0x01, name: "battery", value: 100, unit: "%", key: "battery" }],
      events: [{ key: "button", id: 0x3a, name: "button", event: "press", event_id: 1, index: 1 }],
      notes: [],
    });
  });

  it("encrypted Shelly BLU Motion: motion detected (test_bthome_motion)", () => {
    const sd = bytes(
      0x41, // device info: encrypted, v2
      0x87, // ciphertext (2 bytes)
      0xb9,
      0x00, // counter 0x33221100
      0x11,
      0x22,
      0x33,
      0x72, // MIC
      0xb0,
      0x23,
      0x1f,
    );
    const d = decodeBthomeAdvert(hex(sd), { mac: MAC_HT, key: KEY_HT });
    expect(d.objects).toEqual([{ id: 0x21, name: "motion", value: true, unit: "", key: "motion" }]);
    expect(d.events).toEqual([]);
  });

  it("MAC carried in the frame, encrypted (test_bthome_with_mac_encrypted)", () => {
    const sd = bytes(
      0x43, // device info: encrypted, MAC included (draft bit 1), v2
      0xa5, // MAC reversed: A5 80 8F E6 48 54 → 54:48:E6:8F:80:A5
      0x80,
      0x8f,
      0xe6,
      0x48,
      0x54,
      0xf1, // ciphertext (6 bytes)
      0x96,
      0xc0,
      0x6f,
      0xfb,
      0x49,
      0x00, // counter
      0x11,
      0x22,
      0x33,
      0xf0, // MIC
      0x8e,
      0xcb,
      0xde,
    );
    const d = decodeBthomeAdvert(hex(sd), { key: KEY_HT });
    expect(d.mac).toBe(MAC_HT);
    expect(d.objects.map((o) => o.value)).toEqual([25.06, 50.55]);
  });

  it("triple button device: button_2 press, button_3 triple_press as bthome-ble keys them; event 0x00 is no event (test_bthome_event_triple_button_device)", () => {
    const sd = bytes(
      0x40, // v2
      0x3a, // button 1
      0x00, //   none
      0x3a, // button 2
      0x01, //   press
      0x3a, // button 3
      0x03, //   triple press
    );
    expect(decodeBthomeAdvert(hex(sd)).events).toEqual([
      { key: "button_2", id: 0x3a, name: "button", event: "press", event_id: 1, index: 2 },
      { key: "button_3", id: 0x3a, name: "button", event: "triple_press", event_id: 3, index: 3 },
    ]);
  });

  it.each([
    ["403a04", "long_press"], // test_bthome_event_button_long_press
    ["443a04", "long_press"], // same with the trigger-based bit (0x44), as the Shelly button sends
    ["403a80", "hold_press"], // test_bthome_event_button_hold_press
  ])("button event %s → %s", (frame, event) => {
    const d = decodeBthome(Uint8Array.from(Buffer.from(frame, "hex")));
    expect(d.events.map((e) => e.event)).toEqual([event]);
  });

  it("dimmer rotate left 3 steps (test_bthome_event_dimmer_rotate_left_3_steps)", () => {
    const sd = bytes(
      0x40, // v2
      0x3c, // dimmer
      0x01, //   rotate left
      0x03, //   3 steps
    );
    expect(decodeBthomeAdvert(hex(sd)).events).toEqual([
      { key: "dimmer", id: 0x3c, name: "dimmer", event: "rotate_left", event_id: 1, index: 1, steps: 3 },
    ]);
  });

  it("several objects of one type, keyed temperature_1..3, humidity_1..2 as bthome-ble does (test_bthome_triple_temperature_double_humidity_battery)", () => {
    const sd = bytes(
      0x40, // v2
      0x02, // temperature
      0xca, //   2506 → 25.06
      0x09,
      0x02, // temperature
      0xcf, //   2511 → 25.11
      0x09,
      0x02, // temperature
      0xcf, //   2255 → 22.55
      0x08,
      0x03, // humidity
      0xb7, //   6327 → 63.27
      0x18,
      0x03, // humidity
      0xb7, //   6071 → 60.71
      0x17,
      0x01, // battery
      0x5d, //   93
    );
    expect(decodeBthomeAdvert(hex(sd)).objects).toEqual([
      { id: 0x02, name: "temperature", value: 25.06, unit: "°C", key: "temperature_1" },
      { id: 0x02, name: "temperature", value: 25.11, unit: "°C", key: "temperature_2" },
      { id: 0x02, name: "temperature", value: 22.55, unit: "°C", key: "temperature_3" },
      { id: 0x03, name: "humidity", value: 63.27, unit: "%", key: "humidity_1" },
      { id: 0x03, name: "humidity", value: 60.71, unit: "%", key: "humidity_2" },
      { id: 0x01, name: "battery", value: 93, unit: "%", key: "battery" },
    ]);
  });

  it("unknown object id stops decoding, keeps what came before, and says so (test_bthome_battery_wrong_object_id_humidity)", () => {
    const sd = bytes(
      0x40, // v2
      0x01, // battery
      0x5d, //   93
      0xfe, // unknown object id: its length is unknown, so decoding stops here
      0x5d,
      0x09,
      0x03, // (a humidity object the decoder must not read)
      0xb7,
      0x18,
    );
    expect(decodeBthomeAdvert(hex(sd))).toEqual({
      version: 2,
      encrypted: false,
      trigger_based: false,
      objects: [{ id: 0x01, name: "battery", value: 93, unit: "%", key: "battery" }],
      events: [],
      notes: ["unknown object id 0xfe at byte 3: stopped, 6 byte(s) not decoded"],
    });
  });

  // One advert per object type: the frame (hex) and the value bthome-ble asserts for it (test name).
  it.each<[string, string, number | boolean | string, string, string]>([
    ["4004138a01", "pressure", 1008.83, "hPa", "test_bthome_pressure"],
    ["4005138a14", "illuminance", 13460.67, "lx", "test_bthome_illuminance"],
    ["40065e1f", "mass", 80.3, "kg", "test_bthome_mass_kilograms"],
    ["40073e1d", "mass", 74.86, "lb", "test_bthome_mass_pounds"],
    ["4008ca06", "dew_point", 17.38, "°C", "test_bthome_dew_point"],
    ["400960", "count", 96, "", "test_bthome_count"],
    ["400a138a14", "energy", 1346.067, "kWh", "test_bthome_energy"],
    ["400b021b00", "power", 69.14, "W", "test_bthome_power"],
    ["400c020c", "voltage", 3.074, "V", "test_bthome_voltage"],
    ["400f01", "generic_boolean", true, "", "test_bthome_binary_sensor"],
    ["401001", "power_on", true, "", "test_bthome_binary_sensor_power"],
    ["401100", "opening", false, "", "test_bthome_binary_sensor_opening"],
    ["402d01", "window", true, "", "test_bthome_binary_sensor_window"],
    ["4012e204", "co2", 1250, "ppm", "test_bthome_co2"],
    ["40133301", "tvoc", 307, "µg/m³", "test_bthome_voc"],
    ["4014020c", "moisture", 30.74, "%", "test_bthome_moisture"],
    ["403f020c", "rotation", 307.4, "°", "test_bthome_rotation"],
    ["40400c00", "distance", 12, "mm", "test_bthome_distance_millimeters"],
    ["40414e00", "distance", 7.8, "m", "test_bthome_distance_meters"],
    ["40424e3400", "duration", 13.39, "s", "test_bthome_duration"],
    ["40434e34", "current", 13.39, "A", "test_bthome_current"],
    ["40444e34", "speed", 133.9, "m/s", "test_bthome_speed"],
    ["40451101", "temperature", 27.3, "°C", "test_bthome_temperature_2"],
    ["404632", "uv_index", 5, "", "test_bthome_uv_index"],
    ["40478756", "volume", 2215.1, "L", "test_bthome_volume_liters"],
    ["4048dc87", "volume", 34780, "mL", "test_bthome_volume_milliliters"],
    ["4049dc87", "volume_flow_rate", 34.78, "m³/h", "test_bthome_volume_flow_rate"],
    ["404a020c", "voltage", 307.4, "V", "test_bthome_voltage_2"],
    ["404b138a14", "gas", 1346.067, "m³", "test_bthome_gas"],
    ["404c41018a01", "gas", 25821.505, "m³", "test_bthome_gas_2"],
    ["404d12138a14", "energy", 344593.17, "kWh", "test_bthome_energy_2"],
    ["404e87562a01", "volume", 19551.879, "L", "test_bthome_volume_liters_2"],
    ["404f87562a01", "water", 19551.879, "L", "test_bthome_volume_water"],
    ["44505d396164", "timestamp", 1684093277, "s", "test_bthome_timestamp (2023-05-14T19:41:17Z)"],
    ["44518756", "acceleration", 22.151, "m/s²", "test_bthome_acceleration"],
    ["44528756", "gyroscope", 22.151, "°/s", "test_bthome_gyroscope"],
    ["44530c48656c6c6f20576f726c6421", "text", "Hello World!", "", "test_bthome_text"],
    ["44540c48656c6c6f20576f726c6421", "raw", "48656c6c6f20576f726c6421", "", "test_bthome_raw"],
    ["405587562a01", "volume_storage", 19551.879, "L", "test_bthome_volume_storage"],
    ["4056e803", "conductivity", 1000, "µS/cm", "test_bthome_conductivity"],
    ["4057ea", "temperature", -22, "°C", "test_bthome_temperature_1_byte"],
    ["4058ea", "temperature", -7.7, "°C", "test_bthome_temperature_1_byte_2"],
    ["4059ea", "count", -22, "", "test_bthome_count_signed"],
    ["405aeaea", "count", -5398, "", "test_bthome_count_signed_2_bytes"],
    ["405bea0234ea", "count", -365690134, "", "test_bthome_count_signed_4_bytes"],
    ["405c02fbffff", "power", -12.78, "W", "test_bthome_power_signed"],
    ["405d02ea", "current", -5.63, "A", "test_bthome_current_signed"],
    ["40624099dfff", "speed", -2.123456, "m/s", "test_bthome_speed_signed"],
    ["40630057d0ff", "acceleration", -3.123456, "m/s²", "test_bthome_acceleration_signed"],
    ["406001", "channel", 1, "", "test_bthome_channel"],
    ["4061ac0d", "rotational_speed", 3500, "rpm", "test_bthome_revolutions_per_minute"],
    ["406402", "light_level", 2, "", "test_bthome_light_level"],
  ])("%s → %s %s %s (%s)", (frame, name, value, unit) => {
    const d = decodeServiceData(Uint8Array.from(Buffer.from(frame, "hex")));
    expect(d.objects).toEqual([{ id: Number.parseInt(frame.slice(2, 4), 16), name, value, unit }]);
  });

  it("direction and precipitation in one advert (test_bthome_direction_precipitation)", () => {
    const sd = bytes(
      0x40, // v2
      0x5e, // direction, uint16 × 0.01 °
      0x3f, //   0x753F = 30015 → 300.15
      0x75,
      0x5f, // precipitation, uint16 × 0.1 mm
      0x11, //   0xD511 = 54545 → 5454.5
      0xd5,
    );
    expect(decodeServiceData(sd).objects).toEqual([
      { id: 0x5e, name: "direction", value: 300.15, unit: "°" },
      { id: 0x5f, name: "precipitation", value: 5454.5, unit: "mm" },
    ]);
  });

  it("objects out of numerical order are decoded, with a note (test_bthome_not_sending_object_ids_in_numerical_order)", () => {
    const d = decodeServiceData(bytes(0x40, 0x03, 0xbf, 0x13, 0x02, 0xca, 0x09));
    expect(d.objects.map((o) => o.value)).toEqual([50.55, 25.06]);
    expect(d.notes).toEqual(["object 0x02 at byte 4 is out of numerical order"]);
  });

  it("an unknown button event is noted, not reported", () => {
    const d = decodeServiceData(bytes(0x40, 0x3a, 0x7f));
    expect(d.events).toEqual([]);
    expect(d.notes).toEqual(["unknown button event 0x7f at byte 2"]);
  });

  it("0xFE, old Shelly firmware's hold code, is read as hold_press with a note (bthome-ble's test_bthome_invalid_button_event drops it)", () => {
    // Shelly documents 0xFE as "button hold" for BLU firmware before 1.0.20
    // (shelly-api-docs.shelly.cloud/docs-ble/Devices/dw). A held call button must not be lost.
    const d = decodeServiceData(bytes(0x40, 0x3a, 0xfe));
    expect(d.events).toEqual([{ id: 0x3a, name: "button", event: "hold_press", code: 0xfe, index: 1 }]);
    expect(d.notes).toEqual(["button event 0xfe at byte 2 read as hold_press (old Shelly firmware)"]);
  });
});

describe("misc objects of the spec (bthome.io/format, Misc data)", () => {
  it("device type id and both firmware version forms", () => {
    const sd = bytes(
      0x40, // v2
      0xf0, // device type id, uint16
      0x01, //   0x0001
      0x00,
      0xf1, // firmware version, 4 bytes, little endian
      0x00, //   → 4.2.1.0
      0x01,
      0x02,
      0x04,
      0xf2, // firmware version, 3 bytes
      0x00, //   → 4.1.0
      0x01,
      0x04,
    );
    expect(decodeServiceData(sd).objects).toEqual([
      { id: 0xf0, name: "device_type_id", value: 1, unit: "" },
      { id: 0xf1, name: "firmware_version", value: "4.2.1.0", unit: "" },
      { id: 0xf2, name: "firmware_version", value: "4.1.0", unit: "" },
    ]);
  });
});

describe("refusals, each a typed error", () => {
  it.each<[string, string, number]>([
    ["version 7 (test_has_incorrect_version)", "e102000c0404138a01", ErrorCode.FrameUnsupported],
    ["version 0 (test_incorrect_bthome_version)", "00", ErrorCode.FrameUnsupported],
    ["empty", "", ErrorCode.FrameTruncated],
    [
      "object cut short (test_bthome_invalid_object_payload_data_length)",
      "4002ca0903bf",
      ErrorCode.FrameTruncated,
    ],
    ["text without its length byte", "4053", ErrorCode.FrameTruncated],
    ["text that is not UTF-8 (test_bthome_text_invalid)", "44530187", ErrorCode.FrameMalformed],
    [
      "encrypted, too short for counter and MIC (test_too_short_encryption_advertisement)",
      "41ba0db07aeef600",
      ErrorCode.FrameTruncated,
    ],
  ])("%s", (_what, frame, code) => {
    expect(codeOf(() => decodeServiceData(Uint8Array.from(Buffer.from(frame, "hex"))))).toBe(code);
  });

  it("a truncation error names the object and carries the byte offset in its context", () => {
    try {
      decodeServiceData(bytes(0x40, 0x01, 0x5d, 0x02, 0xca));
      expect.unreachable("should throw");
    } catch (e) {
      expect(isHearthError(e, ErrorCode.FrameTruncated)).toBe(true);
      expect((e as Error).message).toBe("temperature (0x02) at byte 3 needs 2 byte(s), only 1 left");
      expect((e as { context: unknown }).context).toEqual({
        protocol: "bthome",
        offset: 4,
        object: 0x02,
        offsetInMessage: true,
      });
    }
  });

  it("BTHome v1 in a whole payload (UUID 0x181C) is refused as legacy", () => {
    // The v1 example of bthome.io/v1: 020106 0B094449592D73656E736F72 0B161C182302C4090303BF13
    const adv = Buffer.from("0201060B094449592D73656E736F720B161C182302C4090303BF13", "hex");
    expect(codeOf(() => decodeBthome(adv))).toBe(ErrorCode.FrameUnsupported);
  });

  it("a whole payload without BTHome service data is FrameUnexpected", () => {
    expect(codeOf(() => decodeBthome(bytes(0x02, 0x01, 0x06, 0x03, 0x16, 0x1a, 0x18)))).toBe(
      ErrorCode.FrameUnexpected,
    );
  });

  it("encrypted advert without a key is FrameDecrypt", () => {
    expect(codeOf(() => decodeBthomeAdvert("41a47266c95f730011223378237214", { mac: MAC_HT }))).toBe(
      ErrorCode.FrameDecrypt,
    );
  });

  it("encrypted advert with the wrong key is FrameDecrypt (test_bindkey_wrong's key)", () => {
    expect(
      codeOf(() =>
        decodeBthomeAdvert("41a47266c95f730011223378237214", {
          mac: MAC_HT,
          key: "814aac74c4f17b6c1581e1ab87816b99",
        }),
      ),
    ).toBe(ErrorCode.FrameDecrypt);
  });

  it("encrypted advert with the wrong MAC is FrameDecrypt", () => {
    expect(
      codeOf(() =>
        decodeBthomeAdvert("41a47266c95f730011223378237214", { mac: "54:48:E6:8F:80:A6", key: KEY_HT }),
      ),
    ).toBe(ErrorCode.FrameDecrypt);
  });

  it("every single-bit change of an encrypted advert is FrameDecrypt, never values", () => {
    const good = Buffer.from("41a47266c95f730011223378237214", "hex");
    const key = keyFromHex(KEY_HT);
    for (let byte = 1; byte < good.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = Uint8Array.from(good);
        bad[byte] = (bad[byte] as number) ^ (1 << bit);
        expect(codeOf(() => decodeServiceData(bad, { mac: MAC_HT, key }))).toBe(ErrorCode.FrameDecrypt);
      }
    }
  });

  it("bad hex and a bad key are Usage errors", () => {
    expect(codeOf(() => decodeBthomeAdvert("40 0"))).toBe(ErrorCode.Usage);
    expect(codeOf(() => decodeBthomeAdvert("400960", { key: "abc" }))).toBe(ErrorCode.Usage);
  });
});

describe("encoding errors", () => {
  it("what the format cannot carry is ValueOutOfRange, naming the object", () => {
    expect(codeOf(() => encodeObjects([{ id: 0x39, value: 1 }]))).toBe(ErrorCode.ValueOutOfRange);
    expect(codeOf(() => encodeObjects([{ id: 0x01, value: 256 }]))).toBe(ErrorCode.ValueOutOfRange);
    expect(codeOf(() => encodeObjects([{ id: 0x53, value: "x".repeat(256) }]))).toBe(
      ErrorCode.ValueOutOfRange,
    );
    expect(() => encodeObjects([{ id: 0x02, value: 400 }])).toThrow(
      /temperature \(0x02\) value 400 out of range/,
    );
  });

  it("encryption without MAC or counter, a counter beyond uint32 or a short key is ValueOutOfRange", () => {
    const key = keyFromHex(KEY_HT);
    const payload = bytes(0x01, 0x64);
    expect(codeOf(() => encodeServiceData(payload, { key, counter: 1 }))).toBe(ErrorCode.ValueOutOfRange);
    expect(codeOf(() => encodeServiceData(payload, { key, mac: MAC_HT }))).toBe(ErrorCode.ValueOutOfRange);
    expect(codeOf(() => encodeServiceData(payload, { key, mac: MAC_HT, counter: 2 ** 32 }))).toBe(
      ErrorCode.ValueOutOfRange,
    );
    expect(
      codeOf(() => encodeServiceData(payload, { key: key.subarray(0, 8), mac: MAC_HT, counter: 1 })),
    ).toBe(ErrorCode.ValueOutOfRange);
  });

  it("a simulated button asked for an event BTHome has no code for is ValueOutOfRange", () => {
    const button = new SimulatedButton({
      mac: MAC_HT,
      scanner: new SimulatedScanner({ consumer: { serviceUuid: BTHOME_UUID, advert: () => {} } }),
    });
    expect(codeOf(() => button.press("squeeze" as ButtonEvent))).toBe(ErrorCode.ValueOutOfRange);
  });
});

describe("input forms", () => {
  it("service data or whole payload, MAC with or without colons, give the same result", () => {
    const sd = encodeServiceData(
      encodeObjects([
        { id: 0x00, value: 9 },
        { id: 0x3a, value: 1 },
      ]),
      {
        key: keyFromHex(KEY_HT),
        mac: MAC_HT,
        counter: 5,
      },
    );
    const adv = encodeAdvertisingPayload(sd, "SBBT-002C");
    const a = decodeBthomeAdvert(hex(sd), { mac: MAC_HT, key: KEY_HT });
    const b = decodeBthomeAdvert(hex(adv), { mac: "5448e68f80a5", key: KEY_HT });
    expect(b).toEqual(a);
    expect(a.counter).toBe(5);
    expect(a.packet_id).toBe(9);
    expect(findServiceData(adv)).toEqual(sd);
  });
});

describe("properties", () => {
  it("random bytes never throw anything but HearthError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (b, withKey) => {
        try {
          decodeBthome(b, withKey ? { mac: MAC_HT, key: keyFromHex(KEY_HT) } : {});
        } catch (e) {
          if (!isHearthError(e)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("random strings given to decodeBthomeAdvert never throw anything but HearthError", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.option(fc.string({ maxLength: 40 })), (text, key) => {
        try {
          decodeBthomeAdvert(text, { mac: MAC_HT, ...(key !== null ? { key } : {}) });
        } catch (e) {
          if (!isHearthError(e)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("random v2 frames (valid device info byte) never throw anything but HearthError", () => {
    fc.assert(
      fc.property(fc.constantFrom(0x40, 0x41, 0x44, 0x45), fc.uint8Array({ maxLength: 40 }), (info, rest) => {
        try {
          decodeServiceData(Uint8Array.from([info, ...rest]), { mac: MAC_HT, key: keyFromHex(KEY_HT) });
        } catch (e) {
          if (!isHearthError(e)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  const numericIds = [...OBJECTS.values()].filter((s) => s.kind === "sensor" || s.kind === "packet_id");

  it("encode → encrypt → decrypt → decode round-trips any numeric object list", () => {
    const objectArb = fc.constantFrom(...numericIds).chain((spec) => {
      const span = 2 ** (8 * spec.length);
      const [lo, hi] = spec.signed ? [-span / 2, span / 2 - 1] : [0, span - 1];
      return fc.integer({ min: lo, max: hi }).map((raw) => ({ spec, raw }));
    });
    fc.assert(
      fc.property(
        fc.array(objectArb, { maxLength: 6 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.nat({ max: 0xffffffff }),
        (objs, key, macBytes, counter) => {
          const sorted = [...objs].sort((a, b) => a.spec.id - b.spec.id);
          const mac = Buffer.from(macBytes).toString("hex");
          const payload = encodeObjects(sorted.map((o) => ({ id: o.spec.id, value: o.raw * o.spec.factor })));
          const sd = encodeServiceData(payload, { key, mac, counter });
          const d = decodeServiceData(sd, { key, mac });
          expect(d.counter).toBe(counter);
          const want = sorted.filter((o) => o.spec.kind !== "packet_id");
          expect(d.objects.map((o) => o.id)).toEqual(want.map((o) => o.spec.id));
          d.objects.forEach((o, i) => {
            const w = want[i];
            expect(Math.round((o.value as number) / (w?.spec.factor ?? 1))).toBe(w?.raw);
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
