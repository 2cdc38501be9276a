import { describe, expect, it } from 'vitest';
import { allFaults } from './faults.js';
import { runSimulation, simulationOptions } from './run-simulation.js';
import { defaultWorkload } from './workload.js';

/**
 * Every operation with its own R or W (1..N) under every default fault, on
 * /kv keys, a counter and a window: the w=1, w=N, r=1 and r=N paths run, and
 * a read must see an earlier write whenever their quorums overlap (W + R >
 * N). Checked to fail: a coordinator that acknowledges a w=3 write after two
 * replicas and calls it non-sloppy (stale reads in 18 of seeds 100-139;
 * default-quorum runs cannot see it).
 */
describe('per-operation quorums, simulated', () => {
  it('keep every property when each operation picks its own R or W (seeds 1-30)', async () => {
    const failing: string[] = [];
    const seen = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      const r = await runSimulation(simulationOptions(seed, { faults: allFaults, workload: { ...defaultWorkload, varyQuorums: true, counters: 1, windows: 1 } }));
      for (const o of r.history.ops) if (o.outcome === 'ok' && o.quorum !== undefined) seen.add(`${o.kind}:${o.quorum}`);
      const v = r.violations[0];
      if (v !== undefined) failing.push(`seed ${seed}: ${v.property} ${v.key}: ${v.detail} (replay: pnpm sim --seed ${seed} --vary-quorums --counters 1 --windows 1)`);
    }
    expect(failing).toEqual([]);
    // every kind of operation succeeded with every quorum from 1 to N
    for (const kind of ['put', 'del', 'get', 'incr', 'cget']) for (const q of [1, 2, 3]) expect(seen.has(`${kind}:${q}`), `${kind} with quorum ${q}`).toBe(true);
  }, 300_000);
});
