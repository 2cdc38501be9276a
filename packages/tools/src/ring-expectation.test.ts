import { describe, expect, it } from 'vitest';
import { RingExpectation, minimumOwnersMoved } from './ring-expectation.js';

describe('minimumOwnersMoved (equal weights)', () => {
  it('is Q minus what every member can keep of a balanced target', () => {
    const counts = (entries: [string, number][]): Map<string, number> => new Map(entries);
    // 3→4 with Q=256: 86/85/85 → 64 each; the new node takes 64.
    expect(minimumOwnersMoved(counts([['n1', 86], ['n2', 85], ['n3', 85]]), ['n1', 'n2', 'n3', 'n4'], 256)).toBe(64);
    // 4→5: 64 each → 52,51,51,51,51: the +1 goes to a node that has more than 51 already.
    expect(minimumOwnersMoved(counts([['n1', 64], ['n2', 64], ['n3', 64], ['n4', 64]]), ['n1', 'n2', 'n3', 'n4', 'n5'], 256)).toBe(51);
    // A leave: everything the leaver owned moves, nothing else needs to.
    expect(minimumOwnersMoved(counts([['n1', 52], ['n2', 51], ['n3', 51], ['n4', 51], ['n5', 51]]), ['n1', 'n2', 'n3', 'n4'], 256)).toBe(51);
    // Nothing changes: nothing moves.
    expect(minimumOwnersMoved(counts([['a', 2], ['b', 2]]), ['a', 'b'], 4)).toBe(0);
  });
});

describe('RingExpectation', () => {
  it('follows joins and leaves as the claim does, with minimal movement and every key at N replicas', () => {
    const ring = new RingExpectation(['n1', 'n2', 'n3']);
    ring.apply({});
    expect(ring.epoch).toBe(1);
    const keys = Array.from({ length: 500 }, (_, i) => `k-${i}`);
    for (const change of [{ join: [{ id: 'n4', weight: 1 }] }, { join: [{ id: 'n5', weight: 1 }] }, { leave: ['n5'] }, { remove: ['n2'] }]) {
      const before = ring.ownerCounts();
      const moved = ring.apply(change);
      expect(moved.ownersMoved).toBe(minimumOwnersMoved(before, ring.members, 256));
      const counts = ring.expectedKeyCounts(keys);
      expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(3 * keys.length);
      for (const key of keys.slice(0, 50)) expect(new Set(ring.replicasOf(key)).size).toBe(3);
    }
    expect(ring.members).toEqual(['n1', 'n3', 'n4']);
  });
});
