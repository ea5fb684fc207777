import { describe, expect, it } from "vitest";
import { decodeModbusFrame } from "../../../drivers/modbus/decode.js";
import { encodeRtu } from "../../../drivers/modbus/rtu.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";
import type { ModbusProfile } from "../../../src/profiles/modbus.js";

/*
 * The Acrel DDSD1352 profile (issue 13): a read of 0000H..0010H laid out as the two public drivers
 * named in its `source:` read it (energy u32 0.01 kWh high word first, 000BH 0.1 V, 000CH 0.01 A,
 * 000DH 0.001 kW, 0010H PF 0.001). The reply is built here register by register, not captured.
 */
describe("acrel-ddsd1352 profile", () => {
  it("names and scales a 17-register reply at the values' own decimals", () => {
    const regs = Array<number>(17).fill(0);
    regs[0] = 0x0001; // energy high word
    regs[1] = 0xe240; // energy low word: 0x0001E240 = 123456 → 1234.56 kWh
    regs[8] = 0;
    regs[9] = 250; // reverse energy 2.50 kWh
    regs[0x0b] = 2298; // 229.8 V
    regs[0x0c] = 152; // 1.52 A
    regs[0x0d] = 0xfea3; // −349 (0.001 kW) = −349 W: exporting
    regs[0x10] = 955; // PF 0.955
    const pdu = Buffer.alloc(2 + 2 * regs.length);
    pdu[0] = 3;
    pdu[1] = 2 * regs.length;
    for (const [i, r] of regs.entries()) pdu.writeUInt16BE(r, 2 + 2 * i);
    const frame = encodeRtu(1, pdu).toString("hex");
    const profile = loadCatalogue().profiles.get("acrel-ddsd1352") as ModbusProfile;
    expect(decodeModbusFrame(frame, { mode: "response", profile, start: 0 }).values).toEqual([
      { name: "total_active_energy", value: 1234.56, unit: "kWh" },
      { name: "reverse_active_energy", value: 2.5, unit: "kWh" },
      { name: "voltage", value: 229.8, unit: "V" },
      { name: "current", value: 1.52, unit: "A" },
      { name: "active_power", value: -349, unit: "W" },
      { name: "power_factor", value: 0.955, unit: "" },
    ]);
  });
});
