import { describe, expect, it } from 'vitest';
import { allFaults } from './faults.js';
import { runSimulation, simulationOptions } from './run-simulation.js';
import { defaultWorkload } from './workload.js';

/**
 * Full disks on top of every default fault: a node's writes fail (and keep
 * failing, as LevelDB's do after ENOSPC, until it is restarted once there
 * is room) while it goes on serving reads, gossip and coordination. Failed
 * local writes are never acknowledged, replica writes that fail leave the
 * key to hints and repair, and every property holds once the disks have
 * room again — on /kv keys, a counter and a window. Checked to fail: a
 * replica that acknowledges a write its store refused (stale reads in 6 of
 * seeds 1-30; without full disks, 0 of 30).
 */
describe('full disks, simulated', () => {
  it('lose nothing acknowledged under all default faults plus full disks (seeds 1-30)', async () => {
    const failing: string[] = [];
    let refused = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const r = await runSimulation(simulationOptions(seed, { faults: { ...allFaults, diskFull: true }, workload: { ...defaultWorkload, counters: 1, windows: 1 } }));
      refused += r.history.ops.filter((o) => o.error?.includes('out of disk space') === true).length;
      const v = r.violations[0];
      if (v !== undefined) failing.push(`seed ${seed}: ${v.property} ${v.key}: ${v.detail} (replay: pnpm sim --seed ${seed} --counters 1 --windows 1 --faults crashes,partitions,messageLoss,clockJumps,diskLoss,membership,diskFull)`);
    }
    expect(failing).toEqual([]);
    // The disks did fill: clients saw writes refused for it.
    expect(refused).toBeGreaterThan(100);
  }, 300_000);
});
