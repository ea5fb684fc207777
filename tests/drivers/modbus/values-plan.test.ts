import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planReads } from "../../../drivers/modbus/plan.js";
import { decodeValue, encodeValue, type RegisterFormat } from "../../../drivers/modbus/values.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";
import { MODBUS_TYPES, type ModbusProfile, type ModbusRegister } from "../../../src/profiles/modbus.js";

const fmt = (type: RegisterFormat["type"], more: Partial<RegisterFormat> = {}): RegisterFormat => ({
  type,
  word_order: "big",
  byte_order: "big",
  scale: 1,
  ...more,
});

function modbusProfile(id: string): ModbusProfile {
  const p = loadCatalogue().profiles.get(id);
  if (p?.protocol !== "modbus") throw new Error(`no modbus profile ${id}`);
  return p;
}

describe("register values", () => {
  it("decodes the Xintai water meter manual's DCBA float: bytes 1E 85 0B 3F are 0.545 m3/h", () => {
    // PouCon XintaiWaterMeter driver, quoting "Water Meter MODBUS 485 protocol V1": "1E 85 0B 3F = 0.545 m³/h".
    const v = decodeValue(fmt("float32", { word_order: "little", byte_order: "little" }), [0x1e85, 0x0b3f]);
    expect(v).toBeCloseTo(0.545, 6);
  });

  it("decodes signed, 64-bit and scaled values in every order", () => {
    expect(decodeValue(fmt("s16"), [0xfffe])).toBe(-2);
    expect(decodeValue(fmt("u32", { scale: 0.01 }), [0x0001, 0x0000])).toBe(655.36);
    expect(decodeValue(fmt("u32", { word_order: "little" }), [0x0000, 0x0001])).toBe(65536);
    expect(decodeValue(fmt("u16", { byte_order: "little" }), [0x3412])).toBe(0x1234);
    expect(decodeValue(fmt("s32"), [0xffff, 0xff85])).toBe(-123);
    expect(decodeValue(fmt("u64"), [0, 0, 0x0001, 0x0000])).toBe(65536);
    expect(decodeValue(fmt("s64"), [0xffff, 0xffff, 0xffff, 0xffff])).toBe(-1);
    expect(decodeValue(fmt("float64"), [0x4059, 0x0000, 0x0000, 0x0000])).toBe(100);
  });

  it("encode → decode returns the value for every type and order (within the type's precision)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MODBUS_TYPES),
        fc.constantFrom("big" as const, "little" as const),
        fc.constantFrom("big" as const, "little" as const),
        fc.integer({ min: -30000, max: 30000 }),
        (type, word_order, byte_order, n) => {
          const f = fmt(type, { word_order, byte_order });
          const v = type.startsWith("u") ? Math.abs(n) : n;
          expect(decodeValue(f, encodeValue(f, v))).toBe(v);
        },
      ),
    );
  });
});

describe("planReads", () => {
  const reg = (
    name: string,
    address: number,
    type: ModbusRegister["type"] = "u16",
    table: ModbusRegister["table"] = "holding",
  ): ModbusRegister => ({
    name,
    table,
    address,
    type,
    word_order: "big",
    byte_order: "big",
    scale: 1,
    unit: "",
  });

  it("joins neighbours across small gaps, splits on big gaps, tables and the size limit", () => {
    const plans = planReads(
      [reg("a", 0, "float32"), reg("b", 4), reg("c", 40), reg("d", 0, "u16", "input"), reg("e", 41, "u32")],
      { maxGap: 2, maxRegisters: 125 },
    );
    expect(plans.map((p) => [p.fc, p.address, p.quantity, p.registers.map((r) => r.name).join("")])).toEqual([
      [3, 0, 5, "ab"],
      [3, 40, 3, "ce"],
      [4, 0, 1, "d"],
    ]);
    const limited = planReads([reg("a", 0), reg("b", 1), reg("c", 2)], { maxRegisters: 2 });
    expect(limited.map((p) => [p.address, p.quantity])).toEqual([
      [0, 2],
      [2, 1],
    ]);
  });

  it("reads the SDM120 in 3 requests and the SDM630 in 3 (10 and 16 registers)", () => {
    for (const [id, regs, requests] of [
      ["eastron-sdm120", 10, 3],
      ["eastron-sdm630", 16, 3],
    ] as const) {
      const p = modbusProfile(id);
      const plans = planReads(p.modbus.registers, {
        maxRegisters: p.modbus.max_registers_per_read,
        maxGap: p.modbus.max_gap,
      });
      expect(p.modbus.registers).toHaveLength(regs);
      expect(plans).toHaveLength(requests);
      // Every register is read exactly once, inside its request.
      const covered = plans.flatMap((pl) => pl.registers.map((r) => r.name)).sort();
      expect(covered).toEqual(p.modbus.registers.map((r) => r.name).sort());
      for (const pl of plans) expect(pl.quantity).toBeLessThanOrEqual(p.modbus.max_registers_per_read);
    }
    // Joining only touching registers, the SDM120 costs 8 requests (only 0x46..0x4B are contiguous).
    expect(planReads(modbusProfile("eastron-sdm120").modbus.registers, { maxGap: 0 })).toHaveLength(8);
  });
});
