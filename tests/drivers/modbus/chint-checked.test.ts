import { describe, expect, it } from "vitest";
import { decodeModbusFrame } from "../../../drivers/modbus/decode.js";
import { encodeRtu } from "../../../drivers/modbus/rtu.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";
import type { ModbusProfile } from "../../../src/profiles/modbus.js";

/* The CHINT profiles checked against public drivers (issue 13); each source is named in the profile. */

const profile = (id: string) => loadCatalogue().profiles.get(id) as ModbusProfile;
const addresses = (p: ModbusProfile) => p.modbus.registers.map((r) => r.address);

describe("CHINT DDSU666 / DTSU666 profiles against public drivers", () => {
  it("DDSU666: Tasmota's eight addresses (xnrg_11_ddsu666.ino Ddsu666_start_addresses), float32, power in kW × 1000", () => {
    const p = profile("chint-ddsu666");
    expect(addresses(p)).toEqual([0x2000, 0x2002, 0x2004, 0x2006, 0x200a, 0x200e, 0x4000, 0x400a]);
    expect(p.modbus.registers.every((r) => r.type === "float32" && r.word_order === "big")).toBe(true);
    expect(p.modbus.registers.find((r) => r.name === "active_power")?.scale).toBe(1000);
  });

  it("DDSU666: Tasmota's comment frame 01 04 04 43 66 33 34 1B 38 ('= 230.2 Volt') at float32 precision", () => {
    // 43663334 is one step above the float nearest 230.2 (43663333): its shortest decimal is 230.20001,
    // which Tasmota prints rounded. Our rule keeps what the float says, no more and no less.
    const out = decodeModbusFrame("01 04 04 43 66 33 34 1B 38", {
      profile: profile("chint-ddsu666"),
      start: 0x2000,
    });
    expect(out.values).toEqual([{ name: "voltage", value: 230.20001, unit: "V" }]);
  });

  it("DTSU666: OpenEMS's addresses and scales (MeterChintDtsu666Impl: U ×0.1, I ×0.001, P ×0.1, PF, f ×0.01)", () => {
    const p = profile("chint-dtsu666");
    const scale = (address: number) => p.modbus.registers.find((r) => r.address === address)?.scale;
    expect([0x2006, 0x2008, 0x200a].map(scale)).toEqual([0.1, 0.1, 0.1]);
    expect([0x200c, 0x200e, 0x2010].map(scale)).toEqual([0.001, 0.001, 0.001]);
    expect(scale(0x2012)).toBe(0.1);
    expect(scale(0x202a)).toBe(0.001);
    expect(scale(0x2044)).toBe(0.01);
    // A float 2298.0 at ×0.1 is 229.8 V, not 229.80000000000001.
    const frame = encodeRtu(1, Buffer.from("0304450fa000", "hex")).toString("hex");
    const out = decodeModbusFrame(frame, { mode: "response", profile: p, start: 0x2006 });
    expect(out.values[0]).toEqual({ name: "ua", value: 229.8, unit: "V" });
  });
});
