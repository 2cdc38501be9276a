import { describe, expect, it } from 'vitest';
import { allFaults } from './faults.js';
import type { HistoryOp } from './history.js';
import { runSimulation, simulationOptions } from './run-simulation.js';
import { simEpochMs } from './scheduler.js';

/**
 * Node processes stopped for 0.3–5 s (SIGSTOP, a long GC pause, a stuck VM)
 * beside every default fault: nothing they do is lost or broken — and the
 * requests that waited for a stopped node are served when it wakes. Before
 * the failure detector left its own pauses out of its peers' silence
 * (core/running-time.ts), a node woke convinced that every peer was dead and
 * refused them: 43 of 166 such requests failed in these seeds, against 19
 * of 168 with it (the rest meet partitions, loss and crashes).
 */
describe('pauses, simulated', () => {
  it('keep every property, and a woken node serves the requests that waited for it (seeds 1-30)', async () => {
    const failing: string[] = [];
    let pauses = 0;
    const held: HistoryOp[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      const r = await runSimulation(simulationOptions(seed, { faults: { ...allFaults, pauses: true } }));
      const v = r.violations[0];
      if (v !== undefined) failing.push(`seed ${seed}: ${v.property} ${v.key}: ${v.detail} (replay: pnpm sim --seed ${seed} --faults crashes,partitions,messageLoss,clockJumps,diskLoss,membership,pauses)`);
      // each pause and its resume, in simulated time since the start; the ops sent to that node meanwhile waited for it
      for (const p of r.faultLog) {
        const [what, node] = p.what.split(' ');
        if (what !== 'pause' || node === undefined) continue;
        pauses++;
        const resumed = r.faultLog.find((f) => f.what === `resume ${node}` && f.at > p.at);
        if (resumed === undefined) continue;
        held.push(...r.history.ops.filter((o) => o.node === node && o.invokedAt - simEpochMs >= p.at && o.invokedAt - simEpochMs < resumed.at));
      }
    }
    expect(failing).toEqual([]);
    expect(pauses).toBeGreaterThan(30);
    const served = held.filter((o) => o.outcome === 'ok').length;
    expect(held.length).toBeGreaterThan(100);
    expect(served / held.length, `${served} of ${held.length} requests that waited for a paused node were served`).toBeGreaterThan(0.85);
  }, 300_000);
});
