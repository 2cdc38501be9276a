import { describe, expect, it } from 'vitest';
import { allFaults } from './faults.js';
import { runSimulation, simulationOptions } from './run-simulation.js';
import { defaultWorkload } from './workload.js';

/**
 * PN-counters under every default fault (crashes, partitions, message loss
 * and duplication, clock jumps, disk loss, membership changes): no
 * acknowledged increment lost, none counted twice, replicas converge,
 * strict-quorum reads see earlier increments (counter-checker.ts). Checked to
 * fail: forwarded increments applied once per delivery (no dedupe) overcount
 * in seeds 5, 10, 31…; increments acknowledged after the local write alone
 * (W=1) are missed by reads in seeds 6, 11, 12….
 */
describe('counters, simulated', () => {
  it('keep every acknowledged increment exactly once under all default faults (seeds 1-30)', async () => {
    const failing: string[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      const r = await runSimulation(simulationOptions(seed, { faults: allFaults, workload: { ...defaultWorkload, counters: 2 } }));
      const increments = r.history.ops.filter((o) => o.kind === 'incr' && o.outcome === 'ok').length;
      if (increments < 20) failing.push(`seed ${seed}: only ${increments} acknowledged increments`);
      const v = r.violations[0];
      if (v !== undefined) failing.push(`seed ${seed}: ${v.property} ${v.key}: ${v.detail} (replay: pnpm sim --seed ${seed} --counters 2)`);
    }
    expect(failing).toEqual([]);
  }, 300_000);
});

/**
 * Rate-limit windows (increments with ?ttl) under every default fault,
 * checked per window (window-checker.ts). Checked to fail: a join in which
 * the older window wins (stale reads in 9 of seeds 1-20), one that merges
 * two windows' counts (4 of 20), a coordinator that returns windows expired
 * by its clock (every seed of 1-10).
 */
describe('rate-limit windows, simulated', () => {
  it('keep each window\'s acknowledged increments under all default faults (seeds 1-30)', async () => {
    const failing: string[] = [];
    let windowsSeen = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const r = await runSimulation(simulationOptions(seed, { faults: allFaults, workload: { ...defaultWorkload, windows: 2 } }));
      const increments = r.history.ops.filter((o) => o.kind === 'incr' && o.outcome === 'ok' && o.windowEnd !== undefined);
      if (increments.length < 20) failing.push(`seed ${seed}: only ${increments.length} acknowledged increments in windows`);
      windowsSeen += new Set(increments.map((o) => `${o.key}@${String(o.windowEnd)}`)).size;
      const v = r.violations[0];
      if (v !== undefined) failing.push(`seed ${seed}: ${v.property} ${v.key}: ${v.detail} (replay: pnpm sim --seed ${seed} --windows 2)`);
    }
    expect(failing).toEqual([]);
    // Many windows began and ended in these runs, not one long one.
    expect(windowsSeen).toBeGreaterThan(300);
  }, 300_000);
});
