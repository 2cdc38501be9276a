/**
 * The behaviour every `Store` must share (as abstract-level's shared suite
 * does for its implementations). Run it against LevelDB, the in-memory store
 * and the simulator's store, so that a test passing in simulation means the
 * same thing on disk. Imported only by tests.
 *
 * `open()` opens the store at "the" location of this run; after `close()`, a
 * second `open()` must see the same data. `cleanup()` runs after every test
 * (once the stores it opened are closed) and must leave the location empty.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Store, StoreOp, StoreRange } from '@ringkv/core';

const b = (...xs: number[]) => new Uint8Array(xs);
const text = (s: string) => new TextEncoder().encode(s);
const put = (key: Uint8Array, value: Uint8Array): StoreOp => ({ type: 'put', key, value });
const del = (key: Uint8Array): StoreOp => ({ type: 'del', key });

async function collect(store: Store, range: StoreRange): Promise<[number[], number[]][]> {
  const out: [number[], number[]][] = [];
  for await (const [k, v] of store.iterate(range)) out.push([[...k], [...v]]);
  return out;
}

async function keysIn(store: Store, range: StoreRange): Promise<number[][]> {
  return (await collect(store, range)).map(([k]) => k);
}

export function storeComplianceSuite(
  name: string,
  open: () => Promise<Store>,
  cleanup?: () => Promise<void>,
): void {
  describe(`Store compliance: ${name}`, () => {
    const opened: Store[] = [];
    const openStore = async () => {
      const store = await open();
      opened.push(store);
      return store;
    };

    afterEach(async () => {
      // Close even after a failed test, so the next one can open the location.
      for (const store of opened.splice(0)) await store.close().catch(() => undefined);
      await cleanup?.();
    });

    it('returns undefined for a missing key', async () => {
      const s = await openStore();
      expect(await s.get(b(1, 2, 3))).toBeUndefined();
    });

    it('puts, gets, overwrites and deletes', async () => {
      const s = await openStore();
      await s.write([put(b(1), b(10))]);
      expect(await s.get(b(1))).toEqual(b(10));
      await s.write([put(b(1), b(11))]);
      expect(await s.get(b(1))).toEqual(b(11));
      await s.write([del(b(1))]);
      expect(await s.get(b(1))).toBeUndefined();
      await s.write([del(b(9))]); // deleting a missing key is not an error
      expect(await keysIn(s, {})).toEqual([]);
    });

    it('stores empty values', async () => {
      const s = await openStore();
      await s.write([put(b(1), b())]);
      expect(await s.get(b(1))).toEqual(b());
    });

    it('applies a batch atomically and in order: the later op on a key wins', async () => {
      const s = await openStore();
      await s.write([put(b(9), b(0))]);
      await s.write([put(b(1), b(1)), put(b(2), b(1)), del(b(1)), put(b(2), b(2)), put(b(3), b(3)), del(b(9)), put(b(9), b(9))], {
        sync: true,
      });
      expect(await s.get(b(1))).toBeUndefined();
      expect(await s.get(b(2))).toEqual(b(2));
      expect(await s.get(b(3))).toEqual(b(3));
      expect(await s.get(b(9))).toEqual(b(9));
    });

    it('accepts empty batches, synced or not', async () => {
      const s = await openStore();
      await s.write([]);
      await s.write([], { sync: true });
      expect(await keysIn(s, {})).toEqual([]);
    });

    it('applies concurrent writes in call order', async () => {
      const s = await openStore();
      const writes = Array.from({ length: 100 }, (_, i) => s.write([put(b(1), b(i))], { sync: i % 10 === 0 }));
      await Promise.all(writes);
      expect(await s.get(b(1))).toEqual(b(99));
    });

    it('orders keys bytewise, including 0x00, 0xff and prefixes', async () => {
      const s = await openStore();
      const sorted = [
        [0x00],
        [0x00, 0x00],
        [0x00, 0xff],
        [0x01],
        [0x61],
        [0x61, 0x00],
        [0x61, 0x62],
        [0x61, 0x62, 0x63],
        [0x7f],
        [0x80],
        [0xfe, 0xff, 0xff],
        [0xff],
        [0xff, 0x00],
        [0xff, 0xff],
      ];
      // Insert in a scrambled order, in several batches.
      const scrambled = sorted.map((_, i) => sorted[(i * 5) % sorted.length] as number[]);
      for (let i = 0; i < scrambled.length; i += 4) {
        await s.write(scrambled.slice(i, i + 4).map((k) => put(b(...k), b(k.length))));
      }
      expect(await keysIn(s, {})).toEqual(sorted);
      expect(await keysIn(s, { gte: b(0x61), lt: b(0x61, 0x62, 0x63) })).toEqual([
        [0x61],
        [0x61, 0x00],
        [0x61, 0x62],
      ]);
      expect(await keysIn(s, { gte: b(0xff) })).toEqual([[0xff], [0xff, 0x00], [0xff, 0xff]]);
      expect(await keysIn(s, { lt: b(0x00, 0x00) })).toEqual([[0x00]]);
    });

    it('iterates with gte (inclusive), lt (exclusive) and limit', async () => {
      const s = await openStore();
      await s.write([1, 2, 3, 4, 5].map((i) => put(b(i), b(i * 10))));
      expect(await collect(s, { gte: b(2), lt: b(4) })).toEqual([
        [[2], [20]],
        [[3], [30]],
      ]);
      expect(await keysIn(s, { gte: b(2, 0) })).toEqual([[3], [4], [5]]); // gte need not exist
      expect(await keysIn(s, { lt: b(3) })).toEqual([[1], [2]]);
      expect(await keysIn(s, { gte: b(2), limit: 2 })).toEqual([[2], [3]]);
      expect(await keysIn(s, { limit: 10 })).toEqual([[1], [2], [3], [4], [5]]);
      expect(await keysIn(s, { limit: Infinity })).toEqual([[1], [2], [3], [4], [5]]);
      expect(await keysIn(s, { limit: 0 })).toEqual([]);
    });

    it('yields nothing for empty ranges', async () => {
      const s = await openStore();
      expect(await keysIn(s, {})).toEqual([]);
      await s.write([put(b(1), b(1)), put(b(2), b(2))]);
      expect(await keysIn(s, { gte: b(2), lt: b(2) })).toEqual([]);
      expect(await keysIn(s, { gte: b(2), lt: b(1) })).toEqual([]);
      expect(await keysIn(s, { gte: b(3) })).toEqual([]);
      expect(await keysIn(s, { lt: b(1) })).toEqual([]);
      expect(await keysIn(s, { gte: b(1, 0), lt: b(2) })).toEqual([]);
    });

    it('lets the caller stop iterating early', async () => {
      const s = await openStore();
      await s.write([1, 2, 3].map((i) => put(b(i), b(i))));
      for await (const [k] of s.iterate({})) {
        expect(k).toEqual(b(1));
        break;
      }
      expect(await keysIn(s, {})).toHaveLength(3); // and the store still works
    });

    it('iterates a snapshot taken at the first step', async () => {
      const s = await openStore();
      await s.write([1, 2, 3].map((i) => put(b(i), b(i))));
      const it = s.iterate({})[Symbol.asyncIterator]();
      expect((await it.next()).value?.[0]).toEqual(b(1));
      await s.write([put(b(2), b(99)), put(b(4), b(4)), del(b(3))]);
      const rest: number[][] = [];
      for (let r = await it.next(); r.done !== true; r = await it.next()) rest.push([...r.value[0], ...r.value[1]]);
      expect(rest).toEqual([
        [2, 2],
        [3, 3],
      ]);
    });

    it('never aliases caller buffers or returned buffers to stored data', async () => {
      const s = await openStore();
      const key = b(1);
      const value = b(7, 7, 7);
      const pending = s.write([put(key, value)]);
      // Mutating right after `write` returns, before it resolves, changes nothing.
      key[0] = 2;
      value.fill(0);
      await pending;
      const got = await s.get(b(1));
      expect(got).toEqual(b(7, 7, 7));
      got?.fill(1);
      expect(await s.get(b(1))).toEqual(b(7, 7, 7));
      for await (const [k, v] of s.iterate({})) {
        k.fill(9);
        v.fill(9);
      }
      expect(await collect(s, {})).toEqual([[[1], [7, 7, 7]]]);
      expect(await s.get(b(2))).toBeUndefined();
    });

    it('accepts keys and values that are views into larger buffers', async () => {
      const s = await openStore();
      const backing = b(0, 1, 2, 3, 4, 5, 6, 7);
      await s.write([put(backing.subarray(2, 4), backing.subarray(5, 8))]);
      expect(await s.get(b(2, 3))).toEqual(b(5, 6, 7));
    });

    it('stores 1 MiB values', async () => {
      const s = await openStore();
      const big = new Uint8Array(1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
      await s.write([put(text('big'), big), put(text('big2'), big)]);
      const got = await s.get(text('big'));
      expect(got?.length).toBe(big.length);
      expect(Buffer.compare(got ?? b(), big)).toBe(0);
      let seen = 0;
      for await (const [, v] of s.iterate({ gte: text('big') })) {
        expect(Buffer.compare(v, big)).toBe(0);
        seen++;
      }
      expect(seen).toBe(2);
    });

    it('keeps data across close and reopen', async () => {
      const first = await openStore();
      await first.write([put(text('a'), text('1')), put(text('b'), text('2'))]);
      await first.write([put(text('c'), text('3')), del(text('a'))], { sync: true });
      await first.close();
      const second = await openStore();
      expect(await second.get(text('a'))).toBeUndefined();
      expect(await second.get(text('b'))).toEqual(text('2'));
      expect(await second.get(text('c'))).toEqual(text('3'));
      expect(await keysIn(second, {})).toEqual([[...text('b')], [...text('c')]]);
    });

    it('rejects use after close', async () => {
      const s = await openStore();
      await s.close();
      await s.close(); // closing twice is harmless
      await expect(s.get(b(1))).rejects.toThrow();
      await expect(s.write([put(b(1), b(1))])).rejects.toThrow();
      await expect(collect(s, {})).rejects.toThrow();
    });

    it('rejects keys that are not bytes', async () => {
      const s = await openStore();
      const notBytes = 'a' as unknown as Uint8Array;
      await expect(s.get(notBytes)).rejects.toThrow(TypeError);
      await expect(s.write([put(notBytes, b(1))])).rejects.toThrow(TypeError);
    });
  });
}
