import { describe, expect, it } from 'vitest';
import { bucketOf, bucketTop, Histogram } from './histogram.js';

describe('buckets', () => {
  it('are exact below 2048 µs and within 0.1% above', () => {
    for (const us of [0, 1, 999, 2047]) expect(bucketTop(bucketOf(us))).toBe(us);
    for (const us of [2048, 2049, 5000, 123_456, 9_999_999, 2 ** 31 - 1]) {
      const top = bucketTop(bucketOf(us));
      expect(top).toBeGreaterThanOrEqual(us);
      expect((top - us) / us).toBeLessThan(0.001);
    }
  });

  it('are ordered: a larger value never lands in an earlier bucket', () => {
    let last = -1;
    for (let us = 0; us < 5_000_000; us += 997) {
      const b = bucketOf(us);
      expect(b).toBeGreaterThanOrEqual(last);
      last = b;
    }
  });
});

describe('Histogram', () => {
  it('gives percentiles of 1..1000 ms to three significant digits', () => {
    const h = new Histogram();
    for (let ms = 1; ms <= 1000; ms++) h.recordMs(ms);
    expect(h.count).toBe(1000);
    expect(Math.abs(h.percentileMs(50) - 500) / 500).toBeLessThan(0.001);
    expect(Math.abs(h.percentileMs(99) - 990) / 990).toBeLessThan(0.001);
    expect(Math.abs(h.percentileMs(99.9) - 999) / 999).toBeLessThan(0.001);
    expect(h.percentileMs(100)).toBe(1000);
    expect(h.maxMs).toBe(1000);
    expect(h.meanMs).toBeCloseTo(500.5, 6);
  });

  it('keeps a rare outlier visible at p99.9 but not at p99', () => {
    const h = new Histogram();
    for (let i = 0; i < 999; i++) h.recordMs(1);
    h.recordMs(250);
    expect(h.percentileMs(99)).toBe(1);
    expect(h.percentileMs(99.95)).toBeGreaterThan(249);
  });

  it('is 0 when empty, and adds another histogram', () => {
    const a = new Histogram();
    expect(a.percentileMs(99)).toBe(0);
    const b = new Histogram();
    a.recordMs(0.5);
    b.recordMs(20);
    b.recordMs(30);
    a.add(b);
    expect(a.count).toBe(3);
    expect(a.maxMs).toBe(30);
    expect(a.percentileMs(50)).toBeCloseTo(20, 1);
  });
});
