import { describe, expect, it } from 'vitest';
import { runSimulation, simulationOptions } from './run-simulation.js';
import { defaultWorkload } from './workload.js';
import type { FaultOptions } from './faults.js';

/**
 * Bit rot: one bit of a stored record or hint flips on a node's disk (beside
 * crashes, partitions and message loss). Checksums must catch every one
 * before it is served or spread — no read returns, and no replica ends with,
 * a value no client wrote (foreign-value) — the damaged copy must be refused
 * until it is replaced by what all the other replicas hold (a merge over it
 * would leave a replica missing versions it acknowledged: search seed 140259,
 * a stale read), and the actor renewal must keep a dot from being numbered
 * twice. Checked to fail: without the checksum check 23 of seeds 1-30 do
 * (values no client wrote, counters counting too much, two versions with one
 * dot, tree builds failing, a hint for a node that does not exist); with
 * merges allowed over a damaged copy, seeds 6, 13 and 19 with per-op quorums
 * (stale reads: the replica's record lacked writes it had acknowledged);
 * without the renewal seed 88 with per-op quorums (two versions with one dot:
 * a w=1 write only the damaged copy held, its dot numbered again).
 */
const faults: FaultOptions = {
  crashes: true,
  machineCrashes: false,
  partitions: true,
  messageLoss: true,
  clockJumps: false,
  diskLoss: false,
  membership: false,
  corruption: true,
  meanGapMs: 1000,
};

describe('corrupted disks, simulated', () => {
  it('keep every property (seeds 1-30), with a counter', async () => {
    const failing: string[] = [];
    let found = 0;
    let renewed = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const r = await runSimulation(simulationOptions(seed, { faults, workload: { ...defaultWorkload, counters: 1 } }));
      found += r.repair.corruptFound;
      renewed += r.repair.actorsRenewed;
      const v = r.violations[0];
      if (v !== undefined) failing.push(`seed ${seed}: ${v.property} ${v.key}: ${v.detail} (replay: pnpm sim --seed ${seed} --counters 1 --faults crashes,partitions,messageLoss,corruption)`);
    }
    expect(failing).toEqual([]);
    expect(found).toBeGreaterThan(100);
    expect(renewed).toBeGreaterThan(10);
  }, 300_000);

  it('keep every property with per-op quorums (w=1 and r=1), seeds 1-20 and 88', async () => {
    const failing: string[] = [];
    for (const seed of [...Array.from({ length: 20 }, (_, i) => i + 1), 88]) {
      const r = await runSimulation(simulationOptions(seed, { faults, workload: { ...defaultWorkload, counters: 1, varyQuorums: true } }));
      const v = r.violations[0];
      if (v !== undefined) failing.push(`seed ${seed}: ${v.property} ${v.key}: ${v.detail}`);
    }
    expect(failing).toEqual([]);
  }, 300_000);
});
