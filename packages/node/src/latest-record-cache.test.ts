import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { entryHash } from '@ringkv/core';
import { LatestRecordCache } from './latest-record-cache.js';

const key = (n: number): Uint8Array => new TextEncoder().encode(`k${n}`);

/** How partition-trees uses it: the hash from the cache, else computed. */
function hashOf(cache: LatestRecordCache<readonly [number, number]>, p: number, k: Uint8Array, bytes: Uint8Array): readonly [number, number] {
  return cache.get(p, k, bytes) ?? entryHash(k, bytes);
}

describe('latest record cache', () => {
  it('only ever answers with what derives from the bytes asked about', () => {
    // Records of a few keys, large enough to be kept, of two lengths, often equal to an earlier one or one byte off it.
    const recordArb = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom(1024, 1030), fc.integer({ min: 1020, max: 1040 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), recordArb), { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), (steps, entriesMax) => {
        const cache = new LatestRecordCache<readonly [number, number]>({ entriesMax, bytesMax: 3000 });
        for (const [store, [k, p, length, flip]] of steps) {
          const bytes = new Uint8Array(length).fill(7);
          if (flip < length) bytes[flip] = 8;
          if (store) cache.remember(p, key(k), bytes, entryHash(key(k), bytes));
          else expect(hashOf(cache, p, key(k), bytes)).toEqual(entryHash(key(k), bytes));
          expect(cache.size).toBeLessThanOrEqual(entriesMax);
        }
      }),
    );
  });

  it('answers equal bytes of the same key from memory, and nothing for another partition', () => {
    const cache = new LatestRecordCache<object>();
    const bytes = new Uint8Array(4096).fill(1);
    const decoded = {};
    cache.remember(3, key(1), bytes, decoded);
    expect(cache.get(3, key(1), new Uint8Array(bytes))).toBe(decoded);
    expect(cache.get(4, key(1), bytes)).toBeUndefined();
    expect(cache.get(3, key(2), bytes)).toBeUndefined();
  });

  it('keeps small records out, and stays within its entry and byte bounds', () => {
    const cache = new LatestRecordCache<number>({ entriesMax: 3, bytesMax: 5000 });
    cache.remember(0, key(0), new Uint8Array(100), 0);
    expect(cache.size).toBe(0);
    for (let k = 1; k <= 5; k++) cache.remember(0, key(k), new Uint8Array(1024), k);
    expect(cache.size).toBe(3);
    expect(cache.get(0, key(1), new Uint8Array(1024))).toBeUndefined(); // the oldest went first
    expect(cache.get(0, key(5), new Uint8Array(1024))).toBe(5);
    cache.remember(0, key(9), new Uint8Array(4000), 9);
    expect(cache.size).toBe(1);
    cache.remember(0, key(10), new Uint8Array(6000), 10);
    expect(cache.size).toBe(1); // larger than the byte bound: not kept, the older entry stays
    cache.remember(0, key(9), undefined, undefined); // the key was deleted: its bytes are let go
    expect(cache.size).toBe(0);
  });
});
