import { metaKey } from '@ringkv/storage';
import { describe, expect, it } from 'vitest';
import { SimCluster, defaultSimClusterOptions } from './sim-cluster.js';

/**
 * A node whose saved ring the disk damaged (it fails its checksum) must not
 * coordinate on a ring made up from its saved members: it starts as a new
 * node would, from its seeds, and coordinates only once it has heard the
 * committed ring. (Without dropping the members too, it believed it knew the
 * cluster at once: ringKnown() with 3 saved peers of 3 seeds.)
 */
describe('a damaged saved ring', () => {
  it('is dropped with the members, and the node waits for the committed ring before coordinating', async () => {
    const cluster = await SimCluster.create({ ...defaultSimClusterOptions, nodes: 4, seed: 11 });
    const m1 = cluster.machine('n1');
    const epoch = m1.node?.view.ringState.epoch ?? 0;
    expect(epoch).toBeGreaterThanOrEqual(1);
    await cluster.run(cluster.stop('n1'));
    const stored = Uint8Array.from((await m1.memory.get(metaKey('ring'))) as Uint8Array);
    stored[stored.length - 1] = (stored[stored.length - 1] as number) ^ 0x01;
    await m1.memory.write([{ type: 'put', key: metaKey('ring'), value: stored }]);
    // cut off: nothing can tell it the ring
    cluster.network.partition([[m1.address], cluster.machines.filter((m) => m !== m1).map((m) => m.address)]);
    await cluster.run(cluster.restart('n1'));
    await cluster.scheduler.runFor(3000);
    const n1 = m1.node;
    if (n1 === undefined) throw new Error('n1 did not start');
    expect(cluster.errors.some((e) => e.node === 'n1' && e.msg.includes('"ring" is corrupt'))).toBe(true);
    expect(n1.gossip.ringKnown()).toBe(false);
    await expect(cluster.run(n1.coordinator.get({ key: new TextEncoder().encode('k'), r: 2, pr: 0 }))).rejects.toThrow(/has not yet heard the cluster ring/);
    cluster.network.heal();
    await cluster.scheduler.runFor(5000);
    expect(n1.gossip.ringKnown()).toBe(true);
    expect(n1.view.ringState.epoch).toBe(epoch);
  }, 60_000);
});
