import { describe, expect, it } from 'vitest';
import { SimCluster, defaultSimClusterOptions } from './sim-cluster.js';

/**
 * A scrub keeps to its rate (--scrub-rate): at full speed it takes a core
 * (measured: reads through another node of a 2-core machine fell by two
 * thirds while one node scrubbed 1 M records), so it is paced between
 * partitions. On simulated time: 1 500 records at 500 a second take at
 * least 3 s; without a limit, far less.
 */
async function scrubMs(scrubRecordsPerSec: number | undefined): Promise<{ ms: number; records: number }> {
  const cluster = await SimCluster.create({ ...defaultSimClusterOptions, nodes: 3, seed: 5, ...(scrubRecordsPerSec !== undefined && { scrubRecordsPerSec }) });
  const node = cluster.machine('n1').node;
  if (node === undefined) throw new Error('n1 is down');
  const enc = new TextEncoder();
  for (let i = 0; i < 1500; i += 50) {
    await cluster.run(
      Promise.all(
        Array.from({ length: 50 }, (_, j) => node.coordinator.write({ key: enc.encode(`k${i + j}`), value: enc.encode('v'), contentType: 'text/plain', context: '', w: 3, pw: 0 })),
      ),
    );
  }
  const started = cluster.scheduler.elapsedMs;
  const outcome = await cluster.run(node.scrub(), 120_000);
  return { ms: cluster.scheduler.elapsedMs - started, records: outcome.records };
}

describe('scrub pacing', () => {
  it('reads no more records a second than --scrub-rate allows, and all of them', async () => {
    const paced = await scrubMs(500);
    expect(paced.records).toBe(1500);
    expect(paced.ms).toBeGreaterThanOrEqual(2900);
    expect(paced.ms).toBeLessThan(4500);
    const free = await scrubMs(undefined);
    expect(free.records).toBe(1500);
    expect(free.ms).toBeLessThan(1000);
  }, 60_000);
});
