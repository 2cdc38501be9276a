import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '@ringkv/core';
import { CorruptMetaError } from './errors.js';
import { dataKey, metaKey } from './keys.js';
import { LevelStore } from './level-store.js';
import { MemoryStore } from './memory-store.js';
import { seal } from './record-envelope.js';
import { ReplicaStore } from './replica-store.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const backends: [string, () => Promise<Store>][] = [
  ['MemoryStore', async () => new MemoryStore()],
  [
    'LevelStore',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ringkv-replica-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const store = await LevelStore.open(dir);
      cleanups.push(() => store.close());
      return store;
    },
  ],
];

async function scan(r: ReplicaStore, partition: number, options = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const { key, bytes } of r.scanPartition(partition, options)) out.push(`${text(key)}=${text(bytes)}`);
  return out;
}

describe.each(backends)('ReplicaStore over %s', (_name, open) => {
  it('puts, gets and deletes records per partition', async () => {
    const r = new ReplicaStore(await open());
    await r.putRecordBytes(3, utf8('k'), utf8('v3'));
    await r.putRecordBytes(4, utf8('k'), utf8('v4'), { sync: true });
    expect(text((await r.getRecordBytes(3, utf8('k'))) ?? new Uint8Array())).toBe('v3');
    expect(text((await r.getRecordBytes(4, utf8('k'))) ?? new Uint8Array())).toBe('v4');
    expect(await r.getRecordBytes(5, utf8('k'))).toBeUndefined();
    await r.deleteRecord(3, utf8('k'));
    expect(await r.getRecordBytes(3, utf8('k'))).toBeUndefined();
    expect(await r.getRecordBytes(4, utf8('k'))).toBeDefined();
  });

  it('scans one partition in key order, resuming after a key', async () => {
    const r = new ReplicaStore(await open());
    for (const [p, k] of [[1, 'b'], [1, 'a'], [1, 'a\u0000'], [1, 'c'], [0, 'z'], [2, ''], [0xffff, 'last']] as const) {
      await r.putRecordBytes(p, utf8(k), utf8(`${p}`));
    }
    await r.putMeta('identity', utf8('not a record'));
    expect(await scan(r, 1)).toEqual(['a=1', 'a\u0000=1', 'b=1', 'c=1']);
    expect(await scan(r, 1, { afterKey: utf8('a') })).toEqual(['a\u0000=1', 'b=1', 'c=1']);
    expect(await scan(r, 1, { afterKey: utf8('a'), limit: 2 })).toEqual(['a\u0000=1', 'b=1']);
    expect(await scan(r, 1, { afterKey: utf8('c') })).toEqual([]);
    expect(await scan(r, 0xffff)).toEqual(['last=65535']);
    expect(await scan(r, 7)).toEqual([]);

    // Paging through with afterKey visits every record exactly once.
    const paged: string[] = [];
    let after: Uint8Array | undefined;
    for (;;) {
      const page: Uint8Array[] = [];
      for await (const { key } of r.scanPartition(1, after === undefined ? { limit: 1 } : { afterKey: after, limit: 1 })) page.push(key);
      if (page.length === 0) break;
      after = page[0];
      paged.push(text(page[0] as Uint8Array));
    }
    expect(paged).toEqual(['a', 'a\u0000', 'b', 'c']);
  });

  it('counts data keys, in all partitions or in one, ignoring metadata', async () => {
    const r = new ReplicaStore(await open());
    expect(await r.countKeys()).toBe(0);
    await r.putMeta('identity', utf8('x'));
    await r.putRecordBytes(0, utf8('a'), utf8('1'));
    await r.putRecordBytes(0, utf8('a'), utf8('2')); // overwrite: still one key
    await r.putRecordBytes(9, utf8('a'), utf8('1'));
    await r.putRecordBytes(0xffff, utf8('b'), utf8('1'));
    expect(await r.countKeys()).toBe(3);
    expect(await r.countKeys(0)).toBe(1);
    await r.deleteRecord(9, utf8('a'));
    expect(await r.countKeys()).toBe(2);
  });

  it('stores metadata under 0x00 | name', async () => {
    const store = await open();
    const r = new ReplicaStore(store);
    expect(await r.getMeta('ring')).toBeUndefined();
    await r.putMeta('ring', utf8('v1'));
    expect(await store.get(metaKey('ring'))).toEqual(seal(utf8('v1')));
    expect(await r.getMeta('ring')).toEqual(utf8('v1'));
    await r.deleteMeta('ring');
    expect(await r.getMeta('ring')).toBeUndefined();
  });

  it('marks records written before checksums in scans, and reseals them with their bytes unchanged', async () => {
    const store = await open();
    const r = new ReplicaStore(store);
    const payload = Uint8Array.of(0x92, 0x01, 0x90);
    await r.putRecordBytes(3, utf8('sealed'), payload);
    await store.write([{ type: 'put', key: dataKey(3, utf8('old')), value: payload }]);
    const scanned = [];
    for await (const e of r.scanPartition(3)) scanned.push([new TextDecoder().decode(e.key), e.legacy === true]);
    expect(scanned).toEqual([
      ['old', true],
      ['sealed', false],
    ]);
    expect(await r.resealRecord(3, utf8('old'))).toBe(true);
    expect(await store.get(dataKey(3, utf8('old')))).toEqual(seal(payload));
    expect(await r.getRecordBytes(3, utf8('old'))).toEqual(payload);
    expect(await r.resealRecord(3, utf8('old'))).toBe(false);
    expect(await r.resealRecord(3, utf8('sealed'))).toBe(false);
    expect(await r.resealRecord(3, utf8('absent'))).toBe(false);
  });

  it('refuses metadata the disk changed, and reads metadata written before checksums as it is', async () => {
    const store = await open();
    const r = new ReplicaStore(store);
    await r.putMeta('ring', utf8('v1'));
    const stored = (await store.get(metaKey('ring'))) as Uint8Array;
    const damaged = Uint8Array.from(stored);
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] as number) ^ 0x04;
    await store.write([{ type: 'put', key: metaKey('ring'), value: damaged }]);
    const err = await r.getMeta('ring').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptMetaError);
    expect((err as Error).message).toMatch(/"ring".*checksum/);
    await store.write([{ type: 'put', key: metaKey('members'), value: utf8('legacy') }]);
    expect(await r.getMeta('members')).toEqual(utf8('legacy'));
    // where a damaged value could pass for a valid one, an unsealed value reads as absent
    expect(await r.getMeta('members', { sealedOnly: true })).toBeUndefined();
    await r.putMeta('members', utf8('sealed'));
    expect(await r.getMeta('members', { sealedOnly: true })).toEqual(utf8('sealed'));
  });
  it('indexes record deadlines in the same batch, and lists only those due before now', async () => {
    const r = new ReplicaStore(await open());
    await r.putRecordBytes(3, utf8('a'), utf8('A'), {}, [2000, 1000]);
    await r.putRecordBytes(4, utf8('b'), utf8('B'), {}, [1500]);
    await r.putRecordBytes(4, utf8('b'), utf8('B'), {}, [1500]); // again: idempotent
    await r.putRecordBytes(5, utf8('c'), utf8('C'));
    const due = async (now: number): Promise<string[]> => {
      const out: string[] = [];
      for await (const e of r.scanExpired(now, 10)) out.push(`${e.expiresAt}:${e.partition}:${text(e.key)}`);
      return out;
    };
    expect(await due(1499)).toEqual(['1000:3:a']);
    expect(await due(1500)).toEqual(['1000:3:a', '1500:4:b']); // due from the deadline on
    expect(await due(5000)).toEqual(['1000:3:a', '1500:4:b', '2000:3:a']);
    expect(await r.countExpiryEntries()).toBe(3);
    await r.deleteExpiryEntries([{ expiresAt: 1000, partition: 3, key: utf8('a') }]);
    expect(await due(5000)).toEqual(['1500:4:b', '2000:3:a']);
    expect(await scan(r, 3)).toEqual(['a=A']); // index entries are not data
  });

  it("writes a handoff's dirty mark in the record's own batch", async () => {
    const backend = await open();
    const batches: number[] = [];
    const counting: Store = { ...backend, get: (k) => backend.get(k), iterate: (r) => backend.iterate(r), close: () => backend.close(), write: (ops, o) => (batches.push(ops.length), backend.write(ops, o)) };
    const r = new ReplicaStore(counting);
    await r.putRecordBytes(2, utf8('k'), utf8('v'), {}, [], 7);
    await r.putRecordBytes(2, utf8('u'), utf8('w'));
    expect(batches).toEqual([2, 1]);
    expect(await r.getDirty(2, utf8('k'))).toBe(7);
    expect(await r.getDirty(2, utf8('u'))).toBeUndefined();
    const dirty: string[] = [];
    for await (const k of r.scanDirty(2)) dirty.push(text(k));
    expect(dirty).toEqual(['k']);
    expect(await scan(r, 2)).toEqual(['k=v', 'u=w']); // marks are not data
  });

  it('compacts where the backend can (LevelDB) and changes no entry doing it', async () => {
    const backend = await open();
    const r = new ReplicaStore(backend);
    await r.putRecordBytes(1, utf8('k'), utf8('v'), {}, [5]);
    await r.putMeta('m', utf8('x'));
    expect(await r.compact()).toBe(backend instanceof LevelStore);
    expect(await scan(r, 1)).toEqual(['k=v']);
    expect(await r.getMeta('m')).toEqual(utf8('x'));
    expect(await r.countExpiryEntries()).toBe(1);
  });
});

describe('ReplicaStore durability defaults', () => {
  it('syncs metadata by default and leaves records unsynced by default', async () => {
    const mem = new MemoryStore();
    const r = new ReplicaStore(mem);
    await r.putRecordBytes(1, utf8('k'), utf8('v'));
    await r.putMeta('m', utf8('x'));
    await r.putRecordBytes(1, utf8('k2'), utf8('v'));
    const after = new ReplicaStore(mem.crash());
    expect(await after.getMeta('m')).toEqual(utf8('x'));
    expect(await after.getRecordBytes(1, utf8('k'))).toBeDefined(); // synced along with the meta write
    expect(await after.getRecordBytes(1, utf8('k2'))).toBeUndefined();
  });
});
