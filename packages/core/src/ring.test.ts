import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ring } from './ring.js';
import {
  compareNodeIds,
  ownershipCounts,
  partitionsMoved,
  partitionsOwnedBy,
  ringEquals,
  ringMembers,
  validateRing,
} from './ring.js';

const ids = ['a', 'b', 'c', 'd', 'e'];
const ringArb = (q: number): fc.Arbitrary<Ring> =>
  fc.array(fc.constantFrom(...ids), { minLength: q, maxLength: q }).map((owners) => ({ partitionCount: q, owners }));
const anyRingArb = fc.integer({ min: 0, max: 6 }).chain((bits) => ringArb(2 ** bits));
const ringPairArb = fc.integer({ min: 0, max: 6 }).chain((bits) => fc.tuple(ringArb(2 ** bits), ringArb(2 ** bits)));

describe('validateRing', () => {
  it('accepts a well-formed ring', () => {
    fc.assert(fc.property(anyRingArb, (ring) => validateRing(ring)));
  });

  it.each<[string, unknown]>([
    ['Q not a power of two', { partitionCount: 3, owners: ['a', 'b', 'c'] }],
    ['Q of zero', { partitionCount: 0, owners: [] }],
    ['too few owners', { partitionCount: 4, owners: ['a', 'b', 'c'] }],
    ['too many owners', { partitionCount: 2, owners: ['a', 'b', 'c'] }],
    ['an empty owner', { partitionCount: 2, owners: ['a', ''] }],
    ['a non-string owner', { partitionCount: 2, owners: ['a', 7] }],
    ['no owners array', { partitionCount: 2 }],
  ])('rejects %s', (_, ring) => {
    expect(() => validateRing(ring as Ring)).toThrow();
  });
});

describe('ownership queries', () => {
  it('ringMembers lists each owner once, sorted', () => {
    fc.assert(
      fc.property(anyRingArb, (ring) => {
        const members = ringMembers(ring);
        expect(new Set(members)).toEqual(new Set(ring.owners));
        expect(members).toEqual([...members].sort());
        expect(new Set(members).size).toBe(members.length);
      }),
    );
  });

  it('partitionsOwnedBy splits 0..Q-1 among the members, and ownershipCounts counts it', () => {
    fc.assert(
      fc.property(anyRingArb, (ring) => {
        const counts = ownershipCounts(ring);
        const all = ringMembers(ring).flatMap((id) => {
          const owned = partitionsOwnedBy(ring, id);
          expect(owned.length).toBe(counts.get(id));
          expect(owned.every((p) => ring.owners[p] === id)).toBe(true);
          return owned;
        });
        expect(all.sort((x, y) => x - y)).toEqual(ring.owners.map((_, p) => p));
        expect([...counts.keys()]).toEqual(ringMembers(ring));
      }),
    );
    expect(partitionsOwnedBy({ partitionCount: 2, owners: ['a', 'a'] }, 'z')).toEqual([]);
  });

  it('compareNodeIds orders by code unit, whatever the locale', () => {
    expect(['b', 'B', 'a', 'aa', 'é', 'e'].sort(compareNodeIds)).toEqual(['B', 'a', 'aa', 'b', 'e', 'é']);
    expect(compareNodeIds('x', 'x')).toBe(0);
  });
});

describe('comparing rings', () => {
  it('partitionsMoved is a metric whose zero is ringEquals', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }).chain((bits) => fc.tuple(ringArb(2 ** bits), ringArb(2 ** bits), ringArb(2 ** bits))),
        ([a, b, c]) => {
          expect(partitionsMoved(a, a)).toBe(0);
          expect(partitionsMoved(a, b)).toBe(partitionsMoved(b, a));
          expect(partitionsMoved(a, b) === 0).toBe(ringEquals(a, b));
          expect(partitionsMoved(a, c)).toBeLessThanOrEqual(partitionsMoved(a, b) + partitionsMoved(b, c));
          expect(partitionsMoved(a, b)).toBeLessThanOrEqual(a.partitionCount);
        },
      ),
    );
  });

  it('changing one owner moves exactly one partition', () => {
    fc.assert(
      fc.property(ringPairArb, fc.nat(), ([ring], at) => {
        const p = at % ring.partitionCount;
        const owners = [...ring.owners];
        owners[p] = owners[p] === 'a' ? 'b' : 'a';
        const changed = { partitionCount: ring.partitionCount, owners };
        expect(partitionsMoved(ring, changed)).toBe(1);
        expect(ringEquals(ring, changed)).toBe(false);
      }),
    );
  });

  it('rings of different Q are never equal and cannot be diffed', () => {
    const small: Ring = { partitionCount: 1, owners: ['a'] };
    const big: Ring = { partitionCount: 2, owners: ['a', 'a'] };
    expect(ringEquals(small, big)).toBe(false);
    expect(() => partitionsMoved(small, big)).toThrow(RangeError);
  });
});
