import { Prng } from '@ringkv/core';
import { describe, expect, it } from 'vitest';
import { SkewedLatest, Zipfian, ZIPFIAN_THETA, zeta } from './zipfian.js';

const draws = 200_000;

function histogram(n: number, draw: () => number): number[] {
  const counts = new Array<number>(n).fill(0);
  let outside = 0;
  for (let i = 0; i < draws; i++) {
    const item = draw();
    if (Number.isInteger(item) && item >= 0 && item < n) counts[item]!++;
    else outside++;
  }
  expect(outside).toBe(0);
  return counts;
}

describe('zeta', () => {
  it('sums 1/i^theta and continues from a partial sum', () => {
    expect(zeta(0, 3, 1)).toBeCloseTo(1 + 1 / 2 + 1 / 3, 12);
    expect(zeta(2, 5, 0.99, zeta(0, 2, 0.99))).toBeCloseTo(zeta(0, 5, 0.99), 12);
  });
});

describe('Zipfian', () => {
  it('draws item k with probability close to 1/((k+1)^θ ζ(n))', () => {
    const n = 1000;
    const zipf = new Zipfian(n);
    const random = new Prng(7);
    const counts = histogram(n, () => zipf.next(random));
    const zn = zeta(0, n, ZIPFIAN_THETA);
    // Items 0 and 1 are exact in the generator; the tail follows Gray's approximation.
    for (const k of [0, 1]) expect(counts[k]! / draws).toBeCloseTo(1 / (Math.pow(k + 1, ZIPFIAN_THETA) * zn), 2);
    // The hottest 10% of the items take about ζ(n/10)/ζ(n) of the draws (≈ 0.68 for n = 1000).
    const top = counts.slice(0, n / 10).reduce((a, b) => a + b, 0) / draws;
    expect(top).toBeGreaterThan(zeta(0, n / 10, ZIPFIAN_THETA) / zn - 0.03);
    expect(top).toBeLessThan(zeta(0, n / 10, ZIPFIAN_THETA) / zn + 0.03);
    // Popularity falls with rank: each decile gets less than the one before.
    const decile = (d: number): number => counts.slice((d * n) / 10, ((d + 1) * n) / 10).reduce((a, b) => a + b, 0);
    for (let d = 1; d < 10; d++) expect(decile(d)).toBeLessThan(decile(d - 1));
  });

  it('is not uniform: the most popular item is drawn far more than 1/n of the time', () => {
    const zipf = new Zipfian(10_000);
    const random = new Prng(1);
    const counts = histogram(10_000, () => zipf.next(random));
    expect(counts[0]! / draws).toBeGreaterThan(0.05);
  });

  it('replays the same sequence from the same seed', () => {
    const a = new Zipfian(5000);
    const b = new Zipfian(5000);
    const ra = new Prng(42);
    const rb = new Prng(42);
    const seqA = Array.from({ length: 100 }, () => a.next(ra));
    const seqB = Array.from({ length: 100 }, () => b.next(rb));
    expect(seqA).toEqual(seqB);
  });

  it('grows with the item count (ζ extended) and draws the same as one built for the larger count', () => {
    const grown = new Zipfian(100);
    const fresh = new Zipfian(5000);
    const r1 = new Prng(3);
    const r2 = new Prng(3);
    expect(Array.from({ length: 200 }, () => grown.next(r1, 5000))).toEqual(Array.from({ length: 200 }, () => fresh.next(r2)));
    expect(grown.itemCount).toBe(5000);
  });

  it('handles one and two items, and rejects nonsense', () => {
    const random = new Prng(9);
    const one = new Zipfian(1);
    for (let i = 0; i < 100; i++) expect(one.next(random)).toBe(0);
    const two = new Zipfian(2);
    const counts = histogram(2, () => two.next(random));
    expect(counts[0]!).toBeGreaterThan(counts[1]!);
    expect(() => new Zipfian(0)).toThrow(RangeError);
    expect(() => new Zipfian(10, 1)).toThrow(RangeError);
  });
});

describe('SkewedLatest', () => {
  it('favours the newest items', () => {
    const latest = new SkewedLatest(1000);
    const random = new Prng(5);
    const counts = histogram(1000, () => latest.next(random, 1000));
    expect(counts[999]!).toBeGreaterThan(counts[998]!);
    expect(counts[999]! / draws).toBeGreaterThan(0.1);
    expect(counts.slice(900).reduce((a, b) => a + b, 0)).toBeGreaterThan(counts.slice(0, 900).reduce((a, b) => a + b, 0));
  });
});
