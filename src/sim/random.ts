/** Seeded random draws for the simulated households: the same numbers on every machine. */

/** mulberry32: small, fast, good enough for a simulation, and the same on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller); takes two numbers from `r`. */
export function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** A Poisson draw with this mean (Knuth's method). */
export function poisson(r: () => number, mean: number): number {
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  for (;;) {
    p *= r();
    if (p <= l) return k;
    k++;
  }
}

/** Uniform between `a` and `b` (just `a` when `b` is not later). */
export function between(r: () => number, a: number, b: number): number {
  return a + r() * Math.max(0, b - a);
}
