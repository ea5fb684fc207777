/**
 * Values at the precision their source can express, so telemetry shows what the meter shows
 * (229.8 V, not 229.8000030517578 V: a float32 widened to a double keeps the float's binary noise).
 */

/** Most significant digits a float32 needs to round-trip (IEEE 754-2008 §5.12.2: 9). */
const FLOAT32_MAX_DIGITS = 9;

/**
 * The shortest decimal that converts back to the same float32 as `x` (229.8 for the float nearest
 * 229.8; 16777215 stays 16777215). Non-finite values pass through.
 */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const f = Math.fround(x);
  for (let digits = 1; digits < FLOAT32_MAX_DIGITS; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return Number(f.toPrecision(FLOAT32_MAX_DIGITS));
}

/**
 * `x` rounded to `decimals` places, half away from zero on the decimal digits as written (1.005 → 1.01),
 * not on the binary value (which `toFixed` would round to 1.00).
 */
export function roundDecimals(x: number, decimals: number): number {
  if (!Number.isFinite(x)) return x;
  const text = String(Math.abs(x));
  // Tiny or huge values print in exponent form, which the shift below cannot append to.
  if (text.includes("e")) return Number(x.toFixed(decimals));
  const shifted = Number(`${text}e${decimals}`);
  // Beyond 2^53 (or with huge exponents) there are no decimals left to round.
  if (!Number.isFinite(shifted) || shifted >= Number.MAX_SAFE_INTEGER) return x;
  const r = Number(`${Math.round(shifted)}e-${decimals}`);
  return x < 0 && r !== 0 ? -r : r;
}

/**
 * A product without the binary noise of a decimal factor (12345 × 0.01 → 123.45): 15 significant
 * digits are exact for any double, and a scale's product never carries more that are real.
 */
export function scaled(raw: number, scale: number): number {
  if (scale === 1) return raw;
  return Number((raw * scale).toPrecision(15));
}
