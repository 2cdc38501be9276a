import { describe, expect, it } from 'vitest';
import { runSimulation, simulationOptions } from './run-simulation.js';
import { defaultSimClusterOptions } from './sim-cluster.js';

/**
 * The negative control: with every key last-writer-wins (prefix '' covers all
 * keys), concurrent writes are dropped by design, so the checker must report
 * lost writes. If it did not, it would not be able to see them either.
 */
describe('LWW as a negative control', () => {
  it('the checker reports lost writes when every key is last-writer-wins', async () => {
    const lost: number[] = [];
    for (const seed of [1, 2, 3]) {
      const r = await runSimulation(simulationOptions(seed, { cluster: { ...defaultSimClusterOptions, lwwPrefixes: [''] } }));
      lost.push(r.violations.filter((v) => v.property === 'lost-write').length);
    }
    expect(lost.some((n) => n > 0), `lost writes per seed: ${lost.join(', ')}`).toBe(true);
  }, 300_000);
});
