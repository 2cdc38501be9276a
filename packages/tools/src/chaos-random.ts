/**
 * The chaos tools' randomness: core's seeded generator (the simulator's), so
 * one seed fixes the fault schedule and every client's choices. Real
 * processes still race, so a seed replays the plan, not the exact history.
 */
export { Prng as ChaosRandom } from '@ringkv/core';

/** A fresh seed when the user gave none; printed so the run's plan can be repeated. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}
