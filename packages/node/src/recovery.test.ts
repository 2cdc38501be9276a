import { MemoryStore, ReplicaStore } from '@ringkv/storage';
import { describe, expect, it } from 'vitest';
import { silentLogger } from './logger.js';
import { Recovery } from './recovery.js';
import { parseReplicaGet } from './rpc-ops.js';

const pairs = () => [
  { partition: 0, fellow: 'n2' },
  { partition: 0, fellow: 'n3' },
];
const recovery = (freshStore: boolean) => new Recovery(new ReplicaStore(new MemoryStore()), silentLogger, freshStore, pairs, () => 0);

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

describe('replica.get body', () => {
  it('carries the coordinator epoch when set, and rejects a malformed one', () => {
    const k = new Uint8Array([1]);
    expect(parseReplicaGet({ p: 1, k, e: 4 })).toEqual({ p: 1, k, e: 4 });
    expect(parseReplicaGet({ p: 1, k })).toEqual({ p: 1, k });
    for (const e of [-1, 1.5, '3', null]) expect(parseReplicaGet({ p: 1, k, e })).toBeUndefined();
  });
});
