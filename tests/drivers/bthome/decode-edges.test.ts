import { describe, expect, it } from "vitest";
import { decodeBthomeAdvert } from "../../../drivers/bthome/decode.js";
import { ErrorCode } from "../../../src/core/errors.js";
import { thrown } from "../../helpers/errors.js";

/*
 * `hearth decode bthome` edge cases of issue 13. Every advert is the service data of a test in
 * Bluetooth-Devices/bthome-ble tests/test_parser_v2.py (the package Home Assistant's BTHome
 * integration uses; test named at each case), whose expected keys and values are asserted here.
 */

describe("hearth decode bthome: edge cases", () => {
  it("two voltages of different object ids are voltage_1 and voltage_2, in the advert's order (test_bthome_double_voltage_different_object_id)", () => {
    // b"@\x00\x01\x0b\x00\x00\x00J\r\t\x013\x0c\xe9\x0c"
    const d = decodeBthomeAdvert("40 00 01 0B 000000 4A 0D09 01 33 0C E90C");
    expect(d.packet_id).toBe(1);
    expect(d.objects.map((o) => [o.key, o.value, o.unit])).toEqual([
      ["power", 0, "W"],
      ["voltage_1", 231.7, "V"],
      ["battery", 51, "%"],
      ["voltage_2", 3.305, "V"],
    ]);
  });

  it("two temperatures are temperature_1 and temperature_2 (test_bthome_double_temperature)", () => {
    // b"\x40\x02\xca\x09\x02\xcf\x09"
    const d = decodeBthomeAdvert("40 02CA09 02CF09");
    expect(d.objects.map((o) => [o.key, o.value])).toEqual([
      ["temperature_1", 25.06],
      ["temperature_2", 25.11],
    ]);
  });

  it("an event shows its numeric id beside its name (test_bthome_event_button_long_press, _hold_press)", () => {
    expect(decodeBthomeAdvert("40 3A 04").events).toEqual([
      { key: "button", id: 0x3a, name: "button", event: "long_press", event_id: 4, index: 1 },
    ]);
    expect(decodeBthomeAdvert("40 3A 80").events[0]).toMatchObject({ event: "hold_press", event_id: 0x80 });
  });

  it("buttons 2 and 3 of a three-button device (test_bthome_event_triple_button_device: button_2 press, button_3 triple_press)", () => {
    const d = decodeBthomeAdvert("40 3A00 3A01 3A03");
    expect(d.events.map((e) => [e.key, e.event, e.event_id])).toEqual([
      ["button_2", "press", 1],
      ["button_3", "triple_press", 3],
    ]);
  });

  it("a timestamp object shows ISO time (test_bthome_timestamp: 2023-05-14 19:41:17 UTC)", () => {
    // b"\x44\x50\x5d\x39\x61\x64"
    const d = decodeBthomeAdvert("44 50 5D396164");
    expect(d.objects).toEqual([
      {
        id: 0x50,
        name: "timestamp",
        value: 1684093277,
        unit: "s",
        key: "timestamp",
        iso: "2023-05-14T19:41:17Z",
      },
    ]);
  });

  it("with --key, an unencrypted advert is refused as the agent refuses it (test_encryption_downgrade_fails)", () => {
    const e = thrown(() =>
      decodeBthomeAdvert("40 04 138A01", {
        key: "814aac74c4f17b6c1581e1ab87816b99",
        mac: "A4:C1:38:8D:18:B2",
      }),
    );
    expect(e.code).toBe(ErrorCode.FrameDecrypt);
    expect(e.message).toMatch(/unencrypted BTHome advert, but --key was given/);
    // Without the key the same advert decodes (pressure 1008.83 hPa, test_bthome_pressure).
    expect(decodeBthomeAdvert("40 04 138A01").objects[0]).toMatchObject({ name: "pressure", value: 1008.83 });
  });
});
