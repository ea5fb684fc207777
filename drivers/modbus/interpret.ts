import { shortestFloat32 } from "../common/precision.js";

/**
 * What a register reply could mean when no profile says: each register as u16 and s16, and each pair
 * starting there as u32, s32 and float32 in both word orders (high word first, as Modbus sends one
 * register; low word first, as many meters send 32-bit values). Floats at float32 precision.
 */
export interface RegisterInterpretation {
  /** The register's address when the start is known, else its offset in the reply. */
  register: number;
  hex: string;
  u16: number;
  s16: number;
  u32_high_first?: number;
  s32_high_first?: number;
  float32_high_first?: number | string;
  u32_low_first?: number;
  s32_low_first?: number;
  float32_low_first?: number | string;
}

const float = (b: Buffer): number | string => {
  const f = b.readFloatBE(0);
  // JSON has no NaN or Infinity: say them.
  return Number.isFinite(f) ? shortestFloat32(f) : String(f);
};

export function interpretRegisters(registers: readonly number[], start = 0): RegisterInterpretation[] {
  return registers.map((w, i) => {
    const out: RegisterInterpretation = {
      register: start + i,
      hex: w.toString(16).toUpperCase().padStart(4, "0"),
      u16: w,
      s16: w >= 0x8000 ? w - 0x10000 : w,
    };
    const next = registers[i + 1];
    if (next === undefined) return out;
    for (const [suffix, hi, lo] of [
      ["high_first", w, next],
      ["low_first", next, w],
    ] as const) {
      const b = Buffer.alloc(4);
      b.writeUInt16BE(hi, 0);
      b.writeUInt16BE(lo, 2);
      out[`u32_${suffix}`] = b.readUInt32BE(0);
      out[`s32_${suffix}`] = b.readInt32BE(0);
      out[`float32_${suffix}`] = float(b);
    }
    return out;
  });
}
