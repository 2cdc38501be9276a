import { Prng } from '@ringkv/core';
import { describe, expect, it } from 'vitest';
import { KeyChooser, KeyCounter } from './bench-keys.js';
import { chooseOp, parseWorkloads, WORKLOADS, type OpKind } from './bench-workloads.js';

describe('workload mix', () => {
  it('every workload\'s proportions sum to 1', () => {
    for (const w of Object.values(WORKLOADS)) expect(Object.values(w.mix).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('draws operations in the proportions of the mix', () => {
    const random = new Prng(11);
    for (const [name, expected] of [['A', { READ: 0.5, UPDATE: 0.5 }], ['B', { READ: 0.95, UPDATE: 0.05 }], ['D', { READ: 0.95, INSERT: 0.05 }], ['F', { READ: 0.5, RMW: 0.5 }]] as const) {
      const counts: Partial<Record<OpKind, number>> = {};
      for (let i = 0; i < 100_000; i++) {
        const op = chooseOp(WORKLOADS[name], random.next());
        counts[op] = (counts[op] ?? 0) + 1;
      }
      expect(Object.keys(counts).sort()).toEqual(Object.keys(expected).sort());
      for (const [op, p] of Object.entries(expected)) expect((counts[op as OpKind] ?? 0) / 100_000).toBeCloseTo(p, 2);
    }
    expect(chooseOp(WORKLOADS.C, 0.999999)).toBe('READ');
    expect(chooseOp(WORKLOADS.PUT, 0)).toBe('UPDATE');
  });

  it('parses a list in the order given, case-insensitively, without repeats', () => {
    expect(parseWorkloads('c, a,put,A')).toEqual(['C', 'A', 'PUT']);
    expect(() => parseWorkloads('A,E')).toThrow(/unknown workload "E"/);
    expect(() => parseWorkloads(' , ')).toThrow(/no workload/);
  });
});

describe('keys', () => {
  it('KeyCounter makes a key readable only once it and every key before it are acknowledged', () => {
    const c = new KeyCounter(10);
    const [a, b, d] = [c.take(), c.take(), c.take()];
    expect([a, b, d]).toEqual([10, 11, 12]);
    c.ack(11);
    expect(c.readable).toBe(10);
    c.ack(10);
    expect(c.readable).toBe(12);
    c.ack(12);
    expect(c.readable).toBe(13);
  });

  it('KeyChooser picks only readable keys; D the newest ones, zipfian the first ones', () => {
    const random = new Prng(2);
    const counter = new KeyCounter(1000);
    const latest = new KeyChooser(WORKLOADS.D, 'zipfian', counter);
    const zipf = new KeyChooser(WORKLOADS.A, 'zipfian', counter);
    const uniform = new KeyChooser(WORKLOADS.A, 'uniform', counter);
    let newest = 0;
    let first = 0;
    let low = 0;
    for (let i = 0; i < 10_000; i++) {
      const l = latest.existing(random);
      const z = zipf.existing(random);
      const u = uniform.existing(random);
      for (const k of [l, z, u]) expect(k >= 0 && k < 1000).toBe(true);
      if (l >= 900) newest++;
      if (z < 100) first++;
      if (u < 100) low++;
    }
    expect(newest).toBeGreaterThan(6000);
    expect(first).toBeGreaterThan(6000);
    expect(low).toBeGreaterThan(800);
    expect(low).toBeLessThan(1200);
    // An acknowledged insert becomes the newest key.
    counter.ack(counter.take());
    let hits = 0;
    for (let i = 0; i < 1000; i++) if (latest.existing(random) === 1000) hits++;
    expect(hits).toBeGreaterThan(80);
  });
});
