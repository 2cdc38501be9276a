import { counterStateOf, encodeCounterKey, partitionOfKey, pnValue } from '@ringkv/core';
import { describe, expect, it } from 'vitest';
import { allFaults } from './faults.js';
import { runSimulation, simulationOptions } from './run-simulation.js';
import { SimCluster, defaultSimClusterOptions } from './sim-cluster.js';
import { defaultWorkload } from './workload.js';

/**
 * Full disks on top of every default fault: a node's writes fail (and keep
 * failing, as LevelDB's do after ENOSPC, until it is restarted once there
 * is room) while it goes on serving reads, gossip and coordination. A
 * write it coordinates whose local copy fails goes to another replica,
 * replica writes that fail leave the key to hints and repair, and every
 * property holds once the disks have room again — on /kv keys, a counter
 * and a window. Checked to fail: a
 * replica that acknowledges a write its store refused (stale reads in 5 of
 * seeds 1-30; without full disks, 0 of 30).
 */
describe('full disks, simulated', () => {
  it('lose nothing acknowledged under all default faults plus full disks (seeds 1-30)', async () => {
    const failing: string[] = [];
    let fills = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const r = await runSimulation(simulationOptions(seed, { faults: { ...allFaults, diskFull: true }, workload: { ...defaultWorkload, counters: 1, windows: 1 } }));
      fills += r.faultLog.filter((f) => / full$/.test(f.what)).length;
      const v = r.violations[0];
      if (v !== undefined) failing.push(`seed ${seed}: ${v.property} ${v.key}: ${v.detail} (replay: pnpm sim --seed ${seed} --counters 1 --windows 1 --faults crashes,partitions,messageLoss,clockJumps,diskLoss,membership,diskFull)`);
    }
    expect(failing).toEqual([]);
    // The disks did fill, often (each fill lasts 0.3-5 s of a 20 s run).
    expect(fills).toBeGreaterThan(60);
  }, 300_000);
});

describe('a node whose disk is full', () => {
  it('still coordinates writes and increments: another replica creates the version, exactly once', async () => {
    const cluster = await SimCluster.create({ ...defaultSimClusterOptions, nodes: 3, seed: 7 });
    const m1 = cluster.machine('n1');
    const n1 = m1.node;
    if (n1 === undefined) throw new Error('n1 is down');
    m1.diskFull = true;
    const key = new TextEncoder().encode('k');
    const written = await cluster.run(n1.coordinator.write({ key, value: new Uint8Array([1]), contentType: 'text/plain', context: '', w: 2, pw: 0 }));
    // With N = 3 on three nodes n1 holds every key, yet the version is another replica's.
    expect(written.dot.actor.startsWith('n1#')).toBe(false);
    expect(n1.coordinator.stats.forwarded).toBe(1);
    const counter = encodeCounterKey('c');
    await cluster.run(n1.coordinator.increment({ key: counter, delta: 5, w: 2, pw: 0 }));
    const n2 = cluster.machine('n2').node;
    if (n2 === undefined) throw new Error('n2 is down');
    const { record } = await cluster.run(n2.coordinator.get({ key: counter, r: 2, pr: 0 }));
    expect(pnValue(counterStateOf([record]), 0)).toBe(5);
    // n1 stored nothing of either.
    expect(await cluster.run(n1.replica.read(partitionOfKey(key, defaultSimClusterOptions.params.partitionCount), key))).toBeUndefined();
  }, 60_000);
});
