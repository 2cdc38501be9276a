import { describe, expect, it } from 'vitest';
import { allFaults } from './faults.js';
import { runSimulation, simulationOptions } from './run-simulation.js';
import { defaultWorkload } from './workload.js';

/**
 * Non-transitive partitions beside every default fault: two groups of nodes
 * cannot reach each other while the nodes between them reach both, so
 * nodes disagree about who is up (each side sees the other dead, the bridge
 * sees everyone alive) and sloppy quorums, hints and anti-entropy run across
 * views that never agree. With a counter and an LWW key in the workload.
 */
describe('bridge partitions, simulated', () => {
  it('keep every property (seeds 1-30)', async () => {
    const failing: string[] = [];
    let bridges = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const r = await runSimulation(simulationOptions(seed, { faults: { ...allFaults, bridges: true }, workload: { ...defaultWorkload, counters: 1, lwwKeys: 1 } }));
      bridges += r.faultLog.filter((f) => f.what.startsWith('bridge partition')).length;
      const v = r.violations[0];
      if (v !== undefined) failing.push(`seed ${seed}: ${v.property} ${v.key}: ${v.detail} (replay: pnpm sim --seed ${seed} --counters 1 --lww 1 --faults crashes,partitions,messageLoss,clockJumps,diskLoss,membership,bridges)`);
    }
    expect(failing).toEqual([]);
    expect(bridges).toBeGreaterThan(30);
  }, 300_000);
});
