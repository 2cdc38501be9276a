import { describe, expect, it } from 'vitest';
import { runSimulation, simulationOptions } from './run-simulation.js';
import { defaultSimClusterOptions } from './sim-cluster.js';
import { defaultWorkload } from './workload.js';
import type { FaultOptions } from './faults.js';

/**
 * A table block LevelDB itself finds damaged (table-damage.ts), beside
 * crashes, partitions and message loss: reads of its records and scans over
 * it fail, then every write; the operator runs repair-store, which drops the
 * block's records, and the node comes back with a new epoch, in recovery.
 * Its writes meanwhile go to other replicas (as with a full disk). At
 * N=3, R=1, W=3 a read answered by the repaired node alone must still see
 * every acknowledged write: checked to fail without the recovery mark
 * repair-store leaves (12 of these 30 seeds: stale reads and counter reads
 * missing increments, the node answering "absent" for records it dropped).
 */
const faults: FaultOptions = {
  crashes: true,
  machineCrashes: false,
  partitions: true,
  messageLoss: true,
  clockJumps: false,
  diskLoss: false,
  membership: false,
  tableDamage: true,
  meanGapMs: 1000,
};

async function failingSeeds(seeds: readonly number[], params: { n: number; r: number; w: number }): Promise<{ failing: string[]; repairs: number; stopped: number }> {
  const failing: string[] = [];
  let repairs = 0;
  let stopped = 0;
  const cluster = { ...defaultSimClusterOptions, params: { ...defaultSimClusterOptions.params, ...params } };
  for (const seed of seeds) {
    const r = await runSimulation(simulationOptions(seed, { cluster, faults, workload: { ...defaultWorkload, counters: 1 } }));
    repairs += r.faultLog.filter((f) => f.what.startsWith('repair-store')).length;
    stopped += r.faultLog.filter((f) => f.what.includes('stops taking writes')).length;
    const v = r.violations[0];
    const replay = `pnpm sim --seed ${seed} --quorum ${params.n},${params.r},${params.w} --counters 1 --faults crashes,partitions,messageLoss,tableDamage`;
    if (v !== undefined) failing.push(`seed ${seed}: ${v.property} ${v.key}: ${v.detail} (replay: ${replay})`);
  }
  return { failing, repairs, stopped };
}

const seeds = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

describe('damaged LevelDB table blocks, simulated', () => {
  it('keep every property at N=3, R=1, W=3 (seeds 1-30), with a counter', async () => {
    const { failing, repairs, stopped } = await failingSeeds(seeds(1, 30), { n: 3, r: 1, w: 3 });
    expect(failing).toEqual([]);
    expect(repairs).toBeGreaterThan(50);
    expect(stopped).toBeGreaterThan(50);
  }, 300_000);

  it('keep every property at N=3, R=2, W=2 (seeds 1-20)', async () => {
    const { failing } = await failingSeeds(seeds(1, 20), { n: 3, r: 2, w: 2 });
    expect(failing).toEqual([]);
  }, 300_000);
});
