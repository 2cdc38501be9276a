import { describe, expect, it } from 'vitest';
import { runSimulation, simulationOptions } from './run-simulation.js';

/** The fixed seeds every test run checks (more in seeds-b); `pnpm sim` searches further. */
describe('simulated clusters under random faults (seeds 1-100)', () => {
  it('keep every property', async () => {
    const failing: string[] = [];
    for (let seed = 1; seed <= 100; seed++) {
      const r = await runSimulation(simulationOptions(seed));
      const v = r.violations[0];
      if (v !== undefined) failing.push(`seed ${seed}: ${v.property} ${v.key}: ${v.detail} — replay: pnpm sim --seed ${seed}`);
    }
    expect(failing).toEqual([]);
  }, 300_000);
});
