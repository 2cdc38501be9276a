import { describe, expect, it } from 'vitest';
import { runSimulation, simulationOptions } from './run-simulation.js';
import { allFaults } from './faults.js';
import { defaultWorkload } from './workload.js';

// Calm: no fault of any kind (membership changes start machines a client may find not yet listening).
const noFaults = { ...allFaults, crashes: false, partitions: false, messageLoss: false, clockJumps: false, diskLoss: false, membership: false };

describe('simulation', () => {
  it('a calm run has no violations and every operation succeeds', async () => {
    const r = await runSimulation(simulationOptions(1, { faults: noFaults, workload: { ...defaultWorkload, durationMs: 5000 } }));
    expect(r.violations).toEqual([]);
    expect(r.ops.fail + r.ops.info).toBe(0);
    expect(r.ops.ok).toBeGreaterThan(100);
  });

  it('replays a seed exactly', async () => {
    const opts = simulationOptions(42, { workload: { ...defaultWorkload, durationMs: 5000 } });
    const a = await runSimulation(opts);
    const b = await runSimulation(opts);
    expect(a.history.digest()).toBe(b.history.digest());
    expect(a.events).toBe(b.events);
    expect(a.faultLog).toEqual(b.faultLog);
  });
});
