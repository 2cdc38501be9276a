import { describe, expect, it } from 'vitest';
import type { StoreOp } from '@ringkv/core';
import { MemoryStore } from './memory-store.js';
import { storeComplianceSuite } from './store-compliance.js';

let current: MemoryStore | undefined;
storeComplianceSuite(
  'MemoryStore',
  // A second open after close is a process restart of the same "directory".
  async () => (current = current === undefined ? new MemoryStore() : current.reopen()),
  async () => {
    current = undefined;
  },
);

const b = (...xs: number[]) => new Uint8Array(xs);
const put = (k: number, v: number): StoreOp => ({ type: 'put', key: b(k), value: b(v) });

async function dump(store: MemoryStore): Promise<number[][]> {
  const out: number[][] = [];
  for await (const [k, v] of store.iterate({})) out.push([...k, ...v]);
  return out;
}

describe('MemoryStore crash model', () => {
  it('a crash loses unsynced batches and keeps synced ones', async () => {
    const s = new MemoryStore();
    await s.write([put(1, 1)]);
    await s.write([put(2, 2)], { sync: true }); // also makes batch 1 durable
    await s.write([put(3, 3)]);
    await s.write([put(2, 9), { type: 'del', key: b(1) }]);
    expect(s.unsyncedBatchCount).toBe(2);
    const after = s.crash();
    expect(await dump(after)).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(after.unsyncedBatchCount).toBe(0);
  });

  it('a crash can keep a chosen prefix of the unsynced batches', async () => {
    const make = async () => {
      const s = new MemoryStore();
      await s.write([put(1, 1)]);
      await s.write([put(2, 2)]);
      await s.write([put(1, 3)]);
      return s;
    };
    expect(await dump((await make()).crash({ keepUnsyncedBatches: 0 }))).toEqual([]);
    expect(await dump((await make()).crash({ keepUnsyncedBatches: 1 }))).toEqual([[1, 1]]);
    expect(await dump((await make()).crash({ keepUnsyncedBatches: 2 }))).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(await dump((await make()).crash({ keepUnsyncedBatches: 3 }))).toEqual([
      [1, 3],
      [2, 2],
    ]);
    expect(() => new MemoryStore().crash({ keepUnsyncedBatches: 1 })).toThrow(RangeError);
  });

  it('flush() and an empty synced batch make everything durable', async () => {
    const s = new MemoryStore();
    await s.write([put(1, 1)]);
    s.flush();
    await s.write([put(2, 2)]);
    await s.write([], { sync: true });
    await s.write([put(3, 3)]);
    expect(await dump(s.crash())).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('reopen keeps everything, and what was unsynced stays at risk', async () => {
    const s = new MemoryStore();
    await s.write([put(1, 1)], { sync: true });
    await s.write([put(2, 2)]);
    const restarted = s.reopen();
    expect(await dump(restarted)).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(restarted.unsyncedBatchCount).toBe(1);
    expect(await dump(restarted.crash())).toEqual([[1, 1]]);
  });

  it('the crashed instance is dead and cannot be crashed twice', async () => {
    const s = new MemoryStore();
    await s.write([put(1, 1)]);
    s.crash();
    await expect(s.get(b(1))).rejects.toThrow(/closed/);
    await expect(s.write([put(1, 2)])).rejects.toThrow(/closed/);
    expect(() => s.crash()).toThrow(/already crashed/);
    expect(() => s.reopen()).toThrow(/already crashed/);
  });

  it('is deterministic: the same writes and crash give the same store', async () => {
    const run = async () => {
      const s = new MemoryStore();
      for (let i = 0; i < 50; i++) await s.write([put(i % 7, i)], { sync: i % 11 === 0 });
      return dump(s.crash({ keepUnsyncedBatches: 2 }));
    };
    expect(await run()).toEqual(await run());
  });
});
