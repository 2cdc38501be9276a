import { MemoryStore, ReplicaStore } from '@ringkv/storage';
import { describe, expect, it } from 'vitest';
import { silentLogger } from './logger.js';
import { Recovery } from './recovery.js';
import { parseReplicaGet } from './rpc-ops.js';

const pairs = () => [
  { partition: 0, fellow: 'n2' },
  { partition: 0, fellow: 'n3' },
];
const recovery = (freshStore: boolean) => new Recovery(new ReplicaStore(new MemoryStore()), silentLogger, freshStore, pairs, () => 0, () => 1);

describe('Recovery', () => {
  it('a new store that has not learnt a committed ring refuses reads from a coordinator that has one', () => {
    const fresh = recovery(true);
    expect(fresh.unsettled(3, 0)).toBe(true);
    // once it knows the ring (the same gossip says whether the cluster knew it), it serves
    expect(fresh.unsettled(3, 3)).toBe(false);
    // a cluster that never committed a ring: nobody is refused
    expect(fresh.unsettled(0, 0)).toBe(false);
    // an old store never is: it did not lose anything by being new
    expect(recovery(false).unsettled(3, 0)).toBe(false);
  });

  it('a previous life starts a recovery that ends after every (partition, fellow) exchange', async () => {
    const r = recovery(true);
    await r.noticePreviousLife();
    expect(r.active).toBe(true);
    expect(r.partitionsLeft).toBe(1);
    await r.exchanged(0, 'n2');
    expect(r.active).toBe(true);
    await r.exchanged(0, 'n3');
    expect(r.active).toBe(false);
    // an old store that hears of a previous life (a restart) is not recovering
    const old = recovery(false);
    await old.noticePreviousLife();
    expect(old.active).toBe(false);
  });
});

describe('Recovery on a changing ring', () => {
  const setup = () => {
    const ring = { epoch: 0, pairs: [] as { partition: number; fellow: string }[] };
    const r = new Recovery(new ReplicaStore(new MemoryStore()), silentLogger, true, () => ring.pairs, () => 0, () => ring.epoch);
    return { ring, r };
  };

  it('begun before the committed ring was known, does not end on its empty made-up list but starts over on the committed ring', async () => {
    const { ring, r } = setup();
    await r.noticePreviousLife();
    // no pairs on a made-up ring: nothing to wait for, but nothing proven either
    expect(r.active).toBe(true);
    await r.ringChanged();
    expect(r.active).toBe(true);
    Object.assign(ring, { epoch: 3, pairs: [{ partition: 5, fellow: 'n2' }] });
    await r.ringChanged();
    expect(r.active).toBe(true);
    await r.exchanged(5, 'n2');
    expect(r.active).toBe(false);
  });

  it('drops pairs of partitions it no longer replicates, and ends when none is left', async () => {
    const { ring, r } = setup();
    Object.assign(ring, { epoch: 2, pairs: pairs() });
    await r.noticePreviousLife();
    await r.exchanged(0, 'n2');
    ring.pairs = [{ partition: 0, fellow: 'n2' }];
    await r.ringChanged();
    expect(r.active).toBe(false);
  });

  it('counts a fellow that replaced another, and what was exchanged before the ring changed', async () => {
    const { ring, r } = setup();
    Object.assign(ring, { epoch: 2, pairs: pairs() });
    await r.noticePreviousLife();
    await r.exchanged(0, 'n2');
    // n3 left; n4 took its place: n4 must be exchanged with too, n2 not again
    Object.assign(ring, { epoch: 3, pairs: [{ partition: 0, fellow: 'n2' }, { partition: 0, fellow: 'n4' }] });
    await r.ringChanged();
    expect(r.active).toBe(true);
    await r.exchanged(0, 'n3');
    expect(r.active).toBe(true);
    await r.exchanged(0, 'n4');
    expect(r.active).toBe(false);
  });

  it('ends in a cluster that never committed a ring once every pair on its member-made ring was exchanged', async () => {
    const { ring, r } = setup();
    ring.pairs = [{ partition: 1, fellow: 'n2' }];
    await r.noticePreviousLife();
    await r.exchanged(1, 'n2');
    expect(r.active).toBe(false);
  });

  it('ends at once on a committed ring where it replicates nothing', async () => {
    const { ring, r } = setup();
    ring.epoch = 4;
    await r.noticePreviousLife();
    expect(r.active).toBe(false);
  });
});

describe('replica.get body', () => {
  it('carries the coordinator epoch when set, and rejects a malformed one', () => {
    const k = new Uint8Array([1]);
    expect(parseReplicaGet({ p: 1, k, e: 4 })).toEqual({ p: 1, k, e: 4 });
    expect(parseReplicaGet({ p: 1, k })).toEqual({ p: 1, k });
    for (const e of [-1, 1.5, '3', null]) expect(parseReplicaGet({ p: 1, k, e })).toBeUndefined();
  });

  it('a store marked as missing data (repair-store) recovers at start; on a node alone in its cluster there is nothing to wait for', async () => {
    const marked = async (): Promise<ReplicaStore> => {
      const store = new ReplicaStore(new MemoryStore());
      await store.putMeta('recovering', Uint8Array.of(1));
      return store;
    };
    // no committed ring, no fellow: before, it refused its own reads for good
    const lone = new Recovery(await marked(), silentLogger, false, () => [], () => 0, () => 0, () => true);
    await lone.init();
    expect(lone.active).toBe(false);
    // not alone, on a ring made up from its members: it waits for the committed ring
    const member = new Recovery(await marked(), silentLogger, false, () => [], () => 0, () => 0, () => false);
    await member.init();
    expect(member.active).toBe(true);
  });
});
