import { emptyDots, type Clock, type KvRecord } from '@ringkv/core';
import { MemoryStore, ReplicaStore } from '@ringkv/storage';
import { describe, expect, it } from 'vitest';
import { ExpiryPurge, expiryPurgeDefaults } from './expiry-purge.js';
import { silentLogger } from './logger.js';
import { PartitionTrees } from './partition-trees.js';
import { ReplicaService } from './replica-service.js';

/** A clock the test moves by hand; timers never fire (rounds are run directly). */
class HandClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  setTimer(): () => void {
    return () => undefined;
  }
}

const key = (s: string): Uint8Array => new TextEncoder().encode(s);

function setup(batchCountMax = 3) {
  const clock = new HandClock(1_000_000);
  const store = new ReplicaStore(new MemoryStore());
  const trees = new PartitionTrees(store, 4, clock, silentLogger);
  const replica = new ReplicaService(store, 'n1#1', { syncWrites: false, now: () => clock.now() }, trees);
  const changes: [string, KvRecord | undefined][] = [];
  replica.onStore((_p, k, rec) => changes.push([new TextDecoder().decode(k), rec]));
  const purge = new ExpiryPurge({ replica, clock, logger: silentLogger, settings: { ...expiryPurgeDefaults, batchCountMax, roundBatchesMax: 10 } });
  const put = (k: string, ttlMs?: number) =>
    replica.write(0, key(k), { context: emptyDots(), value: key('v'), contentType: 't', writtenAt: clock.now(), ...(ttlMs === undefined ? {} : { expiresAt: clock.now() + ttlMs }) });
  return { clock, store, replica, purge, put, changes };
}

describe('ExpiryPurge', () => {
  it('drops only versions past their deadline, through the replica (listeners told), and empties the index', async () => {
    const { clock, store, replica, purge, put, changes } = setup();
    for (let i = 0; i < 7; i++) await put(`short-${i}`, 1000);
    await put('long', 60_000);
    await put('forever');
    expect(await store.countExpiryEntries()).toBe(8);
    expect(await purge.round()).toBe(0); // nothing due yet
    clock.t += 1000;
    changes.length = 0;
    expect(await purge.round()).toBe(7); // batches of 3: 3 + 3 + 1
    expect(changes.map(([k]) => k).sort()).toEqual(Array.from({ length: 7 }, (_, i) => `short-${i}`));
    for (let i = 0; i < 7; i++) {
      const rec = await replica.read(0, key(`short-${i}`));
      expect(rec?.siblings).toEqual([]); // the dot stays in history: a late copy cannot come back
      expect(rec?.history.max['n1#1']).toBe(1);
    }
    expect((await replica.read(0, key('long')))?.siblings).toHaveLength(1);
    expect((await replica.read(0, key('forever')))?.siblings).toHaveLength(1);
    expect(await store.countExpiryEntries()).toBe(1);
    expect(purge.stats).toMatchObject({ recordsPurged: 7, entriesHandled: 7 });
  });

  it('treats a stale index entry as harmless: the record was overwritten without a TTL', async () => {
    const { clock, store, replica, purge, put } = setup();
    const first = await put('k', 1000);
    await replica.write(0, key('k'), { context: first.context, value: key('w'), contentType: 't', writtenAt: clock.now() });
    clock.t += 5000;
    expect(await purge.round()).toBe(0);
    expect((await replica.read(0, key('k')))?.siblings.map((s) => new TextDecoder().decode(s.value ?? undefined))).toEqual(['w']);
    expect(await store.countExpiryEntries()).toBe(0);
  });

  it('a replica merging in a copy that still holds an expired value drops it', async () => {
    const { clock, replica, put } = setup();
    const { record } = await put('k', 1000);
    clock.t += 2000;
    const merged = await replica.merge(0, key('k'), record);
    expect(merged.siblings).toEqual([]);
  });
});
