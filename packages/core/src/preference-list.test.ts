import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claim, spreadViolations } from './claim.js';
import { partitionOfKey } from './hash.js';
import { buildPreferenceIndex, preferenceList, preferenceListForKey, ringWalk } from './preference-list.js';
import type { Ring } from './ring.js';
import { ringMembers } from './ring.js';

const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
/** Arbitrary layouts, including lopsided ones where one node owns nearly everything. */
const ringArb: fc.Arbitrary<Ring> = fc
  .integer({ min: 0, max: 6 })
  .chain((bits) => fc.array(fc.constantFrom(...ids), { minLength: 2 ** bits, maxLength: 2 ** bits }))
  .map((owners) => ({ partitionCount: owners.length, owners }));
const caseArb = ringArb.chain((ring) =>
  fc.record({ ring: fc.constant(ring), p: fc.nat(ring.partitionCount - 1), n: fc.integer({ min: 1, max: 10 }) }),
);

/** How far from p (walking up, wrapping) `id` first owns a partition. */
function distanceTo(ring: Ring, p: number, id: string): number {
  const q = ring.partitionCount;
  for (let k = 0; k < q; k++) if (ring.owners[(p + k) % q] === id) return k;
  return Infinity;
}

describe('ringWalk', () => {
  it('lists every node once, in the order the walk first meets it', () => {
    fc.assert(
      fc.property(caseArb, ({ ring, p }) => {
        const walk = ringWalk(ring, p);
        expect([...walk].sort()).toEqual(ringMembers(ring));
        const distances = walk.map((id) => distanceTo(ring, p, id));
        distances.slice(1).forEach((d, i) => expect(d).toBeGreaterThan(distances[i] ?? Infinity));
      }),
    );
  });

  it('from p is owner(p) followed by the walk from p+1 without it', () => {
    fc.assert(
      fc.property(caseArb, ({ ring, p }) => {
        const owner = ring.owners[p] ?? '';
        const next = ringWalk(ring, (p + 1) % ring.partitionCount).filter((id) => id !== owner);
        expect(ringWalk(ring, p)).toEqual([owner, ...next]);
      }),
    );
  });
});

describe('preferenceList', () => {
  it('is the first n nodes of the walk: distinct, starting with the owner, none skipped', () => {
    fc.assert(
      fc.property(caseArb, ({ ring, p, n }) => {
        const list = preferenceList(ring, p, n);
        expect(list).toHaveLength(Math.min(n, ringMembers(ring).length));
        expect(new Set(list).size).toBe(list.length);
        expect(list[0]).toBe(ring.owners[p]);
        expect(list).toEqual(ringWalk(ring, p).slice(0, n));
        // Every owner met before the last chosen node was chosen.
        const last = distanceTo(ring, p, list[list.length - 1] ?? '');
        for (let k = 0; k <= last; k++) expect(list).toContain(ring.owners[(p + k) % ring.partitionCount]);
      }),
    );
  });

  it('grows by extension: the list for n is a prefix of the list for n+1', () => {
    fc.assert(
      fc.property(caseArb, ({ ring, p, n }) => {
        expect(preferenceList(ring, p, n + 1).slice(0, n)).toEqual(preferenceList(ring, p, n));
      }),
    );
  });

  it('on a claimed ring with no spread violations is just the next N owners', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(64, 256),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 0, max: 12 }),
        fc.nat(),
        (q, n, extra, at) => {
          const members = Array.from({ length: n + 1 + extra }, (_, i) => ({ id: `node-${i}`, weight: 1 + (i % 2) }));
          const ring = claim(undefined, members, q, n);
          fc.pre(spreadViolations(ring, n) === 0);
          const p = at % q;
          const next = Array.from({ length: n }, (_, k) => ring.owners[(p + k) % q]);
          expect(preferenceList(ring, p, n)).toEqual(next);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('preferenceListForKey uses the key\'s partition', () => {
    fc.assert(
      fc.property(caseArb, fc.uint8Array({ maxLength: 16 }), ({ ring, n }, key) => {
        const p = partitionOfKey(key, ring.partitionCount);
        expect(preferenceListForKey(ring, key, n)).toEqual(preferenceList(ring, p, n));
      }),
    );
  });

  it('rejects a partition out of range and n < 1', () => {
    const ring: Ring = { partitionCount: 4, owners: ['a', 'b', 'a', 'c'] };
    expect(preferenceList(ring, 3, 2)).toEqual(['c', 'a']);
    for (const p of [-1, 4, 1.5]) expect(() => preferenceList(ring, p, 2)).toThrow(RangeError);
    expect(() => ringWalk(ring, 4)).toThrow(RangeError);
    expect(() => preferenceList(ring, 0, 0)).toThrow(RangeError);
  });
});

describe('buildPreferenceIndex', () => {
  it('agrees with the direct functions for every partition', () => {
    fc.assert(
      fc.property(caseArb, ({ ring, n }) => {
        const index = buildPreferenceIndex(ring, n);
        for (let p = 0; p < ring.partitionCount; p++) {
          expect(index.preferenceList(p)).toEqual(preferenceList(ring, p, n));
          expect(index.ringWalk(p)).toEqual(ringWalk(ring, p));
        }
        const key = new TextEncoder().encode('some key');
        expect(index.forKey(key)).toEqual(preferenceListForKey(ring, key, n));
      }),
      { numRuns: 60 },
    );
  });

  it('validates its inputs', () => {
    const ring: Ring = { partitionCount: 2, owners: ['a', 'b'] };
    expect(() => buildPreferenceIndex(ring, 0)).toThrow(RangeError);
    expect(() => buildPreferenceIndex({ partitionCount: 4, owners: ['a'] }, 3)).toThrow(RangeError);
    expect(() => buildPreferenceIndex(ring, 2).preferenceList(2)).toThrow(RangeError);
  });

  it('builds a Q=65536 index quickly, even for a lopsided ring', () => {
    const owners = Array.from({ length: 65536 }, (_, p) => (p === 40000 ? 'lonely' : 'big'));
    const index = buildPreferenceIndex({ partitionCount: 65536, owners }, 3);
    expect(index.preferenceList(40001)).toEqual(['big', 'lonely']);
    expect(index.preferenceList(40000)).toEqual(['lonely', 'big']);
  });
});
