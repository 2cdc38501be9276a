import { describe, expect, it } from 'vitest';
import { compareBytes } from './bytes.js';
import { lowerBound, SortedBytesMap } from './sorted-bytes-map.js';

const b = (...xs: number[]) => new Uint8Array(xs);

describe('SortedBytesMap', () => {
  it('keeps keys in bytewise order through inserts, overwrites and deletes', () => {
    const m = new SortedBytesMap();
    const keys = [b(2), b(0xff), b(0), b(1, 0), b(1), b(), b(1, 0xff)];
    keys.forEach((k, i) => m.set(k, b(i)));
    m.set(b(1), b(99));
    m.delete(b(0xff));
    m.delete(b(7)); // absent: no-op
    const { keys: got } = m.snapshot();
    expect(got.map((k) => [...k])).toEqual([[], [0], [1], [1, 0], [1, 0xff], [2]]);
    expect(m.get(b(1))).toEqual(b(99));
    expect(m.get(b(0xff))).toBeUndefined();
    expect(m.size).toBe(6);
  });

  it('agrees with a sort-based model on random operations', () => {
    // A fixed LCG keeps the test deterministic without a dependency.
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const m = new SortedBytesMap();
    const model = new Map<string, Uint8Array>();
    for (let i = 0; i < 2000; i++) {
      const key = b(...Array.from({ length: rand(3) }, () => [0, 1, 0x7f, 0x80, 0xff][rand(5)] as number));
      const id = [...key].join(',');
      if (rand(3) === 0) {
        m.delete(key);
        model.delete(id);
      } else {
        m.set(key, b(i & 0xff));
        model.set(id, b(i & 0xff));
      }
    }
    const expected = [...model.entries()]
      .map(([id, v]) => [id === '' ? b() : b(...id.split(',').map(Number)), v] as const)
      .sort((x, y) => compareBytes(x[0], y[0]));
    const snap = m.snapshot();
    expect(snap.keys).toEqual(expected.map((e) => e[0]));
    expect(snap.values).toEqual(expected.map((e) => e[1]));
  });

  it('snapshots do not see later mutations', () => {
    const m = new SortedBytesMap();
    m.set(b(1), b(1));
    const snap = m.snapshot();
    m.set(b(0), b(0));
    m.set(b(1), b(2));
    m.delete(b(1));
    expect(snap.keys).toEqual([b(1)]);
    expect(snap.values).toEqual([b(1)]);
    expect(m.snapshot().keys).toEqual([b(0)]);
  });

  it('clones are independent', () => {
    const m = new SortedBytesMap();
    m.set(b(1), b(1));
    const c = m.clone();
    c.set(b(2), b(2));
    m.delete(b(1));
    expect(m.size).toBe(0);
    expect(c.size).toBe(2);
  });

  it('lowerBound finds the insertion point', () => {
    const keys = [b(1), b(1, 0), b(3)];
    expect(lowerBound(keys, b(0))).toBe(0);
    expect(lowerBound(keys, b(1))).toBe(0);
    expect(lowerBound(keys, b(1, 0, 0))).toBe(2);
    expect(lowerBound(keys, b(4))).toBe(3);
  });
});
