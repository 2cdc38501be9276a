import { describe, it } from 'vitest';
import fc from 'fast-check';
import { faultNames, faultsFromNames, type FaultName } from './faults.js';
import { runSimulation, simulationOptions } from './run-simulation.js';
import { defaultWorkload } from './workload.js';

const allNames: FaultName[] = ['crashes', 'partitions', 'messageLoss', 'clockJumps', 'diskLoss', 'membership'];

/**
 * fast-check picks the seed, the workload's size and which faults are on; a
 * failing case shrinks towards fewer clients, keys, seconds and fault kinds,
 * and the failure message carries the command that replays it.
 */
describe('simulation as a fast-check property', () => {
  it('holds for generated workloads and fault mixes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2_000, max: 20_000 }),
        fc.subarray(allNames),
        async (seed, clients, keys, durationMs, faultList) => {
          const faults = faultsFromNames(faultList);
          const r = await runSimulation(simulationOptions(seed, { workload: { ...defaultWorkload, clients, keys, durationMs }, faults }));
          const v = r.violations[0];
          if (v !== undefined) {
            const replay = `pnpm sim --seed ${seed} --clients ${clients} --keys ${keys} --duration-ms ${durationMs} --faults ${faultNames(faults).join(',')}`;
            throw new Error(`${v.property} ${v.key}: ${v.detail}\n  replay: ${replay}`);
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 300_000);
});
