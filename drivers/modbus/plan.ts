import { ErrorCode, HearthError } from "../../src/core/errors.js";
import type { ModbusRegister } from "../../src/profiles/modbus.js";
import { MAX_READ_REGISTERS, type ReadFunction } from "./tables.js";
import { registerWords } from "./values.js";

/** One read request and the profile registers it covers. */
export interface PlannedRead {
  table: ModbusRegister["table"];
  fc: ReadFunction;
  address: number;
  quantity: number;
  registers: ModbusRegister[];
}

export interface PlanOptions {
  /** Most registers in one request (≤ 125). */
  maxRegisters?: number;
  /** Most unused registers a request may span to join two neighbours. */
  maxGap?: number;
}

/**
 * Groups the registers of each table into as few reads as possible: sorted by address, a register
 * joins the current read when the hole before it is at most `maxGap` and the read stays within
 * `maxRegisters`. Greedy is optimal here because reads are contiguous ranges over sorted registers.
 */
export function planReads(registers: readonly ModbusRegister[], options: PlanOptions = {}): PlannedRead[] {
  const maxRegisters = Math.min(options.maxRegisters ?? MAX_READ_REGISTERS, MAX_READ_REGISTERS);
  const maxGap = options.maxGap ?? 0;
  const plans: PlannedRead[] = [];
  for (const table of ["holding", "input"] as const) {
    const regs = registers.filter((r) => r.table === table).sort((a, b) => a.address - b.address);
    let cur: PlannedRead | undefined;
    for (const r of regs) {
      const words = registerWords(r.type);
      if (words > maxRegisters)
        // A profile whose register cannot be read in one request cannot be polled.
        throw new HearthError(
          `register ${r.name} (${words} words) exceeds maxRegisters ${maxRegisters}`,
          ErrorCode.ConfigInvalid,
          { register: r.name, words, maxRegisters },
        );
      const end = r.address + words;
      if (cur) {
        const curEnd = cur.address + cur.quantity;
        const gap = r.address - curEnd;
        const span = Math.max(end, curEnd) - cur.address;
        if (gap <= maxGap && span <= maxRegisters) {
          cur.quantity = span;
          cur.registers.push(r);
          continue;
        }
      }
      cur = { table, fc: table === "holding" ? 3 : 4, address: r.address, quantity: words, registers: [r] };
      plans.push(cur);
    }
  }
  return plans;
}
