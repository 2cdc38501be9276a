import { describe, expect, it } from 'vitest';
import { allFaults } from './faults.js';
import { runSimulation, simulationOptions } from './run-simulation.js';
import { defaultWorkload } from './workload.js';

/**
 * Puts with a TTL under every default fault, clock jumps of up to a minute
 * included: a TTL'd value may vanish once some node's clock passed its
 * deadline, but what it replaced stays replaced, replicas converge, strict
 * reads miss nothing else, and no read returns a value its coordinator's
 * clock says has expired (checker.ts). Checked to fail: a coordinator that
 * does not drop expired versions from what it returns (expired-read in most
 * seeds), and a purge that drops the expired versions' dots from the history
 * (divergent replicas in most seeds).
 */
describe('TTLs, simulated', () => {
  it('keep every property with half of the puts expiring under all default faults (seeds 1-30)', async () => {
    const failing: string[] = [];
    let purged = 0;
    let servedWithDeadline = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const r = await runSimulation(simulationOptions(seed, { faults: allFaults, workload: { ...defaultWorkload, ttlRate: 0.5 } }));
      const ttlPuts = r.history.ops.filter((o) => o.kind === 'put' && o.outcome === 'ok' && o.expiresAt !== undefined).length;
      if (ttlPuts < 20) failing.push(`seed ${seed}: only ${ttlPuts} acknowledged TTL puts`);
      purged += r.repair.expiredPurged;
      servedWithDeadline += r.history.ops.filter((o) => (o.readExpiresAt?.length ?? 0) > 0 && o.readerClock !== undefined).length;
      const v = r.violations[0];
      if (v !== undefined) failing.push(`seed ${seed}: ${v.property} ${v.key}: ${v.detail} (replay: pnpm sim --seed ${seed} --ttl 0.5)`);
    }
    expect(failing).toEqual([]);
    // The runs exercised expiry: replicas purged, and reads were checked against their clocks.
    expect(purged).toBeGreaterThan(100);
    expect(servedWithDeadline).toBeGreaterThan(100);
  }, 300_000);
});
