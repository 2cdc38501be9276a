import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TopK } from './top-k.js';

/** A stream of (key, weight) offers over a small alphabet so some keys repeat a lot. */
const streamArb = fc.array(
  fc.tuple(
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom('a', 'b', 'c') }, { weight: 7, arbitrary: fc.string({ minLength: 0, maxLength: 3 }) }),
    fc.integer({ min: 1, max: 5 }),
  ),
  { maxLength: 400 },
);

function run(capacity: number, stream: readonly (readonly [string, number])[]): { sketch: TopK; truth: Map<string, number>; total: number } {
  const sketch = new TopK(capacity);
  const truth = new Map<string, number>();
  let total = 0;
  for (const [k, w] of stream) {
    sketch.offer(k, w);
    truth.set(k, (truth.get(k) ?? 0) + w);
    total += w;
  }
  return { sketch, truth, total };
}

describe('TopK (Space-Saving)', () => {
  it('counts exactly while under capacity, sorted by count', () => {
    const t = new TopK(4);
    for (const k of ['x', 'y', 'x', 'z', 'x', 'y']) t.offer(k);
    expect(t.top(10)).toEqual([
      { key: 'x', count: 3, error: 0 },
      { key: 'y', count: 2, error: 0 },
      { key: 'z', count: 1, error: 0 },
    ]);
    expect(t.top(1)).toEqual([{ key: 'x', count: 3, error: 0 }]);
    expect(t.total).toBe(6);
  });

  it('evicts the smallest counter and carries its count as error', () => {
    const t = new TopK(2);
    t.offer('a', 5);
    t.offer('b', 2);
    t.offer('c');
    expect(t.top(2)).toEqual([
      { key: 'a', count: 5, error: 0 },
      { key: 'c', count: 3, error: 2 },
    ]);
  });

  it('an untracked key always takes over a smallest counter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), streamArb, (capacity, stream) => {
        const sketch = new TopK(capacity);
        for (const [k, w] of stream) {
          const before = sketch.top(Number.MAX_SAFE_INTEGER);
          sketch.offer(k, w);
          if (before.length < capacity || before.some((e) => e.key === k)) continue;
          const min = Math.min(...before.map((e) => e.count));
          const taken = sketch.top(Number.MAX_SAFE_INTEGER).find((e) => e.key === k);
          expect(taken).toEqual({ key: k, count: min + w, error: min });
          // exactly one smallest counter left; every other one is unchanged
          const after = new Map(sketch.top(Number.MAX_SAFE_INTEGER).map((e) => [e.key, e.count]));
          expect(before.filter((e) => after.get(e.key) !== e.count).length).toBe(1);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a bad capacity or weight', () => {
    expect(() => new TopK(0)).toThrow(RangeError);
    expect(() => new TopK(1.5)).toThrow(RangeError);
    expect(() => new TopK(1).offer('a', 0)).toThrow(RangeError);
    expect(() => new TopK(1).offer('a', Number.NaN)).toThrow(RangeError);
  });

  it('reports every key heavier than total/capacity; bounds hold; memory is bounded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), streamArb, (capacity, stream) => {
        const { sketch, truth, total } = run(capacity, stream);
        const all = sketch.top(Number.MAX_SAFE_INTEGER);
        expect(all.length).toBeLessThanOrEqual(capacity);
        expect(sketch.size).toBeLessThanOrEqual(capacity);
        expect(sketch.total).toBe(total);
        const reported = new Map(all.map((e) => [e.key, e]));
        for (const [k, n] of truth) {
          if (n > total / capacity) expect(reported.has(k)).toBe(true);
        }
        for (const e of all) {
          const n = truth.get(e.key) ?? 0;
          expect(e.count).toBeGreaterThanOrEqual(n);
          expect(e.count - e.error).toBeLessThanOrEqual(n);
          expect(e.error).toBeGreaterThanOrEqual(0);
        }
        for (let i = 1; i < all.length; i++) expect(all[i - 1]!.count).toBeGreaterThanOrEqual(all[i]!.count);
      }),
      { numRuns: 300 },
    );
  });
});
