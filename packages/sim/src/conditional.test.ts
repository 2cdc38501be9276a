import { describe, expect, it } from 'vitest';
import { allFaults } from './faults.js';
import { runSimulation, simulationOptions } from './run-simulation.js';
import { defaultWorkload } from './workload.js';

/**
 * Conditional writes (If-Match with the ETag of the client's last read,
 * If-None-Match: * after a read that found nothing) under every default
 * fault: one that passes never supersedes a value its client had not read
 * while that value was live (lost-update, checker.ts), and every other
 * property holds with conditional writes in the history. Checked to fail: a
 * coordinator that does not compare ETags (19 of seeds 1-20) and one that
 * ignores If-None-Match: * (13 of 20).
 */
describe('conditional writes, simulated', () => {
  it('never overwrite an unread live value under all default faults (seeds 1-30)', async () => {
    const failing: string[] = [];
    let passedWider = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const r = await runSimulation(simulationOptions(seed, { faults: allFaults, workload: { ...defaultWorkload, conditionalRate: 0.5 } }));
      const conditional = r.history.ops.filter((o) => o.condition !== undefined);
      const passed = conditional.filter((o) => o.outcome === 'ok').length;
      const refused = conditional.filter((o) => o.error === 'PRECONDITION_FAILED').length;
      if (passed < 10 || refused < 10) failing.push(`seed ${seed}: only ${passed} conditional writes passed and ${refused} were refused`);
      // Passed with a context wider than the client's: the quorum read found versions the client had not read.
      passedWider += conditional.filter((o) => o.outcome === 'ok' && JSON.stringify(o.contextUsed) !== JSON.stringify(o.contextIn)).length;
      const v = r.violations[0];
      if (v !== undefined) failing.push(`seed ${seed}: ${v.property} ${v.key}: ${v.detail} (replay: pnpm sim --seed ${seed} --conditional 0.5)`);
    }
    expect(failing).toEqual([]);
    expect(passedWider).toBeGreaterThan(50);
  }, 300_000);
});
