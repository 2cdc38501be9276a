/**
 * Node metadata the disk damaged (it fails its checksum, or is not in its
 * format): each reader does what is safe without it instead of reading a
 * wrong value as valid — a lost counter floor takes a new actor, a lost ring
 * or member table is learnt again, a lost recovery flag counts as set.
 */
import { bootstrapRingState, emptyDots, type Clock } from '@ringkv/core';
import { CorruptMetaError, MemoryStore, ReplicaStore, metaKey } from '@ringkv/storage';
import { describe, expect, it } from 'vitest';
import { silentLogger } from './logger.js';
import { loadMembers, loadRing, saveMembers, saveRing } from './member-persistence.js';
import { PartitionTrees } from './partition-trees.js';
import { Recovery } from './recovery.js';
import { ReplicaService } from './replica-service.js';

const clock: Clock = { now: () => 1_000, setTimer: () => () => undefined };
const enc = new TextEncoder();
const key = enc.encode('k');

/** Flips one bit of a stored metadata value, checksum-sealed or not. */
async function damageMeta(backend: MemoryStore, name: string, byte = -1): Promise<void> {
  const stored = Uint8Array.from((await backend.get(metaKey(name))) as Uint8Array);
  const at = byte < 0 ? stored.length + byte : byte;
  stored[at] = (stored[at] as number) ^ 0x02;
  await backend.write([{ type: 'put', key: metaKey(name), value: stored }]);
}

function replicaOn(backend: MemoryStore, actor: string, renew?: () => Promise<string>): ReplicaService {
  const store = new ReplicaStore(backend);
  return new ReplicaService(store, actor, { syncWrites: false, now: () => clock.now(), ...(renew === undefined ? {} : { renewActor: renew }) }, new PartitionTrees(store, 4, clock, silentLogger));
}

describe('a damaged counter floor', () => {
  it('makes the replica take a new actor and start its floor over, instead of reading it as 0', async () => {
    const backend = new MemoryStore();
    const before = replicaOn(backend, 'n1#1');
    await before.init();
    await before.raiseCounterFloor(40);
    await damageMeta(backend, 'counter-floor');
    let renewals = 0;
    const after = replicaOn(backend, 'n1#1', async () => `n1#${2 + renewals++}`);
    const lost = await after.init();
    expect(lost).toBeInstanceOf(CorruptMetaError);
    expect(lost?.message).toMatch(/"counter-floor".*checksum/);
    expect(after.actor).toBe('n1#2');
    expect(after.stats.actorsRenewed).toBe(1);
    const written = await after.write(0, key, { context: emptyDots(), value: enc.encode('v'), contentType: 't', writtenAt: 1 });
    expect(written.dot).toEqual({ actor: 'n1#2', counter: 1 });
    // started over, persisted: the next start reads a valid floor and keeps its actor
    const next = replicaOn(backend, 'n1#2', async () => 'n1#9');
    expect(await next.init()).toBeUndefined();
    expect(next.actor).toBe('n1#2');
  });

  it('reads a floor written before checksums, and refuses one that is not a counter', async () => {
    const backend = new MemoryStore();
    await backend.write([{ type: 'put', key: metaKey('counter-floor'), value: enc.encode('17') }]);
    const legacy = replicaOn(backend, 'n1#1', async () => 'n1#2');
    expect(await legacy.init()).toBeUndefined();
    expect(((await backend.get(metaKey('counter-floor'))) as Uint8Array)[0]).toBe(0xc1); // sealed at start
    const written = await legacy.write(0, key, { context: emptyDots(), value: enc.encode('v'), contentType: 't', writtenAt: 1 });
    expect(written.dot).toEqual({ actor: 'n1#1', counter: 18 });
    await backend.write([{ type: 'put', key: metaKey('counter-floor'), value: enc.encode('1\u00057') }]);
    const garbled = replicaOn(backend, 'n1#1', async () => 'n1#2');
    expect(await garbled.init()).toBeInstanceOf(CorruptMetaError);
    expect(garbled.actor).toBe('n1#2');
  });

  it('stops the start when no new actor can be taken', async () => {
    const backend = new MemoryStore();
    await new ReplicaStore(backend).putMeta('counter-floor', enc.encode('5'));
    await damageMeta(backend, 'counter-floor');
    await expect(replicaOn(backend, 'n1#1').init()).rejects.toBeInstanceOf(CorruptMetaError);
  });
});

describe('a damaged member table or ring', () => {
  it('is not read: the node learns it again, and says so', async () => {
    const backend = new MemoryStore();
    const store = new ReplicaStore(backend);
    const damaged: string[] = [];
    const report = (err: CorruptMetaError): void => void damaged.push(err.message);
    await saveMembers(store, [{ id: 'n2', rpc: '127.0.0.1:7002', http: '127.0.0.1:8002', weight: 1, incarnation: 1 }]);
    expect(await loadMembers(store, report)).toHaveLength(1);
    // a table written before checksums is read, and sealed
    const sealedBytes = (await backend.get(metaKey('members'))) as Uint8Array;
    await backend.write([{ type: 'put', key: metaKey('members'), value: sealedBytes.subarray(5) }]);
    expect(await loadMembers(store, report)).toHaveLength(1);
    expect(((await backend.get(metaKey('members'))) as Uint8Array)[0]).toBe(0xc1);
    await damageMeta(backend, 'members');
    expect(await loadMembers(store, report)).toEqual([]);
    expect(damaged[0]).toMatch(/"members".*checksum/);
    const ring = { ...bootstrapRingState([{ id: 'n1', weight: 1 }, { id: 'n2', weight: 1 }], 8, 2), epoch: 3 };
    await saveRing(store, ring);
    expect((await loadRing(store, report))?.epoch).toBe(3);
    await damageMeta(backend, 'ring', 9);
    expect(await loadRing(store, report)).toBeUndefined();
    expect(damaged[1]).toMatch(/"ring".*checksum/);
    // written before checksums and not msgpack: damaged too, not a crash at start
    await backend.write([{ type: 'put', key: metaKey('ring'), value: Uint8Array.of(0xd9) }]);
    expect(await loadRing(store, report)).toBeUndefined();
    expect(damaged).toHaveLength(3);
  });
});

describe('a damaged recovery flag', () => {
  it('counts as set: the node recovers again before serving reads', async () => {
    const backend = new MemoryStore();
    const store = new ReplicaStore(backend);
    await store.putMeta('recovering', Uint8Array.of(1));
    await damageMeta(backend, 'recovering');
    const recovery = new Recovery(store, silentLogger, false, () => [{ partition: 0, fellow: 'n2' }], () => 1_000, () => 1);
    await recovery.init();
    expect(recovery.active).toBe(true);
  });
});
