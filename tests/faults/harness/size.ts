import { rng } from "../../../src/sim/random.js";

/**
 * The suite's two sizes: `ci` runs inside `npm test` in minutes; `full` (`npm run faults -- --full`,
 * which sets HEARTH_FAULTS_SIZE=full) runs the figures on demand.
 */
export type FaultSize = "ci" | "full";

export function faultSize(): FaultSize {
  return process.env.HEARTH_FAULTS_SIZE === "full" ? "full" : "ci";
}

/** The number for this size. */
export function sized(ci: number, full: number): number {
  return faultSize() === "full" ? full : ci;
}

/** The command that reproduces a scenario at this size (and with this seed, when it draws one). */
export function reproduce(file: string, seed?: number): string {
  const env = seed === undefined ? "" : `HEARTH_FAULTS_SEED=${seed} `;
  return faultSize() === "full"
    ? `${env}npm run faults -- --full ${file}`
    : `${env}npm run faults -- ${file}`;
}

/** A small seeded generator (the simulator's mulberry32), so a failing run's random kill moments can be replayed. */
export const seededRandom: (seed: number) => () => number = rng;

/** HEARTH_FAULTS_SEED, or a fresh seed the scenario prints. */
export function faultSeed(): number {
  const s = Number(process.env.HEARTH_FAULTS_SEED);
  return Number.isInteger(s) ? s : Math.floor(Math.random() * 2 ** 31);
}
