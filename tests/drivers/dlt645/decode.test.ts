import { describe, expect, it } from "vitest";
import { decodeCjt188Frame } from "../../../drivers/cjt188/decode.js";
import { parseHex } from "../../../drivers/common/hex.js";
import { decodeDlt645Frame } from "../../../drivers/dlt645/decode.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";
import { loadProfile } from "../../helpers/profiles.js";

describe("decode for the CLI", () => {
  it("explains a DL/T 645 read request (zcx1218029121/go645 protocol_test.go)", () => {
    expect(decodeDlt645Frame("68 61 01 00 00 00 00 68 11 04 33 33 34 33 14 16")).toEqual({
      protocol: "dlt645",
      kind: "request",
      fields: {
        preamble: 0,
        address: "000000000161",
        control: "0x11",
        edition: "2007",
        function: "read data",
        direction: "master → meter",
        length: 4,
        data: "00000100",
        di: "00010000",
        di_name: "forward active energy, total",
      },
      values: [],
    });
  });

  it("explains a DL/T 645 reply, with the standard's format or the profile's scale", () => {
    const reply = "FE FE 68 01 00 00 00 00 00 68 91 07 33 33 36 35 33 83 33 23 16"; // 02030000 = 0.5000 kW, CS computed by hand
    const plain = decodeDlt645Frame(reply);
    expect(plain.fields).toMatchObject({ preamble: 2, abnormal: false, follow_up: false, di: "02030000" });
    expect(plain.values).toEqual([{ name: "total active power", value: 0.5, unit: "kW" }]);
    const withProfile = decodeDlt645Frame(reply, {
      profile: loadProfile("generic-dlt645-single-phase", "dlt645"),
    });
    expect(withProfile.values).toEqual([{ name: "power_total", value: 500, unit: "W" }]);
  });

  it("explains a DL/T 645 abnormal reply and a read-address reply", () => {
    expect(decodeDlt645Frame("68 01 00 00 00 00 00 68 D1 01 35 D8 16").fields).toMatchObject({
      abnormal: true,
      error: "0x02",
      errors: ["no requested data"],
    });
    expect(
      decodeDlt645Frame("68 01 00 00 00 00 00 68 93 06 34 33 33 33 33 33 9D 16").fields.meter_address,
    ).toBe("000000000001");
  });

  it("explains a CJ/T 188 metering reply (hupengwu/fox-edge-server-protocol cjt188 Demo.java)", () => {
    const d = decodeCjt188Frame(
      "68 10 44 33 22 11 00 33 78 81 16 1F 90 00 00 77 66 55 2C 00 77 66 55 2C 31 01 22 11 05 15 20 21 84 13 16",
    );
    expect(d.fields).toMatchObject({
      meter_type_name: "cold water meter",
      address: "78330011223344",
      di_order: "swapped",
      current_flow: 556677,
      current_unit: "m3",
      time: "2015-05-11 22:01:31",
      valve: "closed",
      battery_low: false,
    });
    expect(d.values[0]).toEqual({ name: "current_flow", value: 556677, unit: "m3" });
  });

  it("explains a CJ/T 188 request", () => {
    expect(
      decodeCjt188Frame("FE FE FE 68 10 AA AA AA AA AA AA AA 01 03 90 1F 01 D2 16").fields,
    ).toMatchObject({
      preamble: 3,
      meter_type_name: "cold water meter",
      address: "AAAAAAAAAAAAAA",
      function: "read data",
      di: "901F",
      ser: 1,
    });
  });

  it("names the bad character or byte", () => {
    for (const [fn, code] of [
      [() => parseHex("68 zz"), ErrorCode.FrameMalformed],
      [() => decodeDlt645Frame("68 01 00 00 00 00 00 68 D1 01 35 D9 16"), ErrorCode.FrameChecksum],
      [() => decodeCjt188Frame("68 10 01"), ErrorCode.FrameTruncated],
    ] as const) {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(isHearthError(err, code)).toBe(true);
    }
  });
});
