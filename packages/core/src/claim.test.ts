import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claim, memberWeightMax, spreadViolations } from './claim.js';
import type { Member, Ring } from './ring.js';
import { ownershipCounts, partitionsMoved, ringEquals, ringMembers } from './ring.js';

const pool = Array.from({ length: 20 }, (_, i) => `node-${String(i).padStart(2, '0')}`);
const equalMembers = (count: number, ids: readonly string[] = pool): Member[] =>
  ids.slice(0, count).map((id) => ({ id, weight: 1 }));

const membersArb = (maxLength = 16): fc.Arbitrary<Member[]> =>
  fc.uniqueArray(fc.record({ id: fc.constantFrom(...pool), weight: fc.integer({ min: 1, max: 4 }) }), {
    minLength: 1,
    maxLength,
    selector: (m) => m.id,
  });

/** Any owners at all, including nodes that are not members any more. */
const randomRingArb = (q: number): fc.Arbitrary<Ring> =>
  fc.array(fc.constantFrom(...pool.slice(0, 18)), { minLength: q, maxLength: q }).map((owners) => ({
    partitionCount: q,
    owners,
  }));

/** The ring a cluster reaches through a few arbitrary membership changes. */
const claimedRingArb = (q: number, n: number): fc.Arbitrary<Ring> =>
  fc.array(membersArb(), { minLength: 1, maxLength: 3 }).map((history) => {
    let ring: Ring | undefined;
    for (const members of history) ring = claim(ring, members, q, n);
    return ring as Ring;
  });

const previousArb = (q: number, n: number): fc.Arbitrary<Ring | undefined> =>
  fc.oneof(fc.constant(undefined), randomRingArb(q), claimedRingArb(q, n));

/** A scenario: Q, N, a previous ring (maybe none) and the new members. */
const scenarioArb = fc
  .record({ q: fc.constantFrom(64, 256), n: fc.integer({ min: 1, max: 5 }) })
  .chain(({ q, n }) => fc.record({ q: fc.constant(q), n: fc.constant(n), previous: previousArb(q, n), members: membersArb() }));

/** floor and ceil of the exact weighted share Q·w/Σw, computed exactly. */
function shareBounds(members: readonly Member[], q: number): Map<string, { lo: number; hi: number }> {
  const total = members.reduce((sum, m) => sum + m.weight, 0);
  return new Map(
    members.map((m) => {
      const lo = Math.floor((q * m.weight) / total);
      return [m.id, { lo, hi: (q * m.weight) % total === 0 ? lo : lo + 1 }];
    }),
  );
}

/**
 * The fewest partitions any balanced ring can move from `previous`. A member
 * with target t keeps at most min(current, t) of its partitions, and keeping
 * exactly that many is always possible, so the minimum is Q - max Σ min(c, t)
 * over the allowed targets (each floor or ceil, summing to Q). This maximum is
 * found by a knapsack over "how many members took their ceil", independently
 * of the greedy rule claim uses.
 */
function minimumMoves(previous: Ring, members: readonly Member[], q: number): number {
  const bounds = shareBounds(members, q);
  const current = ownershipCounts(previous);
  let best: number[] = [0]; // best[e]: most partitions kept with e members at their ceil
  for (const m of members) {
    const { lo, hi } = bounds.get(m.id) ?? { lo: 0, hi: 0 };
    const c = current.get(m.id) ?? 0;
    const next = new Array<number>(best.length + 1).fill(-Infinity);
    best.forEach((kept, e) => {
      next[e] = Math.max(next[e] ?? -Infinity, kept + Math.min(c, lo));
      if (hi > lo) next[e + 1] = Math.max(next[e + 1] ?? -Infinity, kept + Math.min(c, hi));
    });
    best = next;
  }
  const extras = q - [...bounds.values()].reduce((sum, b) => sum + b.lo, 0);
  return q - (best[extras] ?? -Infinity);
}

describe('claim: balance and movement', () => {
  it('gives every member floor or ceil of its weighted share, and nothing to anyone else', () => {
    fc.assert(
      fc.property(scenarioArb, ({ q, n, previous, members }) => {
        const ring = claim(previous, members, q, n);
        expect(ring.partitionCount).toBe(q);
        expect(ring.owners).toHaveLength(q);
        const counts = ownershipCounts(ring);
        for (const [id, { lo, hi }] of shareBounds(members, q)) {
          const c = counts.get(id) ?? 0;
          expect(c >= lo && c <= hi, `${id} owns ${c}, share is ${lo}..${hi}`).toBe(true);
        }
        const ids = new Set(members.map((m) => m.id));
        expect(ringMembers(ring).every((id) => ids.has(id))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('moves exactly the minimum number of partitions any balanced ring could', () => {
    fc.assert(
      fc.property(scenarioArb, ({ q, n, previous, members }) => {
        if (previous === undefined) return;
        const ring = claim(previous, members, q, n);
        expect(partitionsMoved(previous, ring)).toBe(minimumMoves(previous, members, q));
      }),
      { numRuns: 150 },
    );
  });

  it('does not depend on the order of the members, and is idempotent', () => {
    fc.assert(
      fc.property(
        scenarioArb.chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s.members, { minLength: s.members.length }))),
        ([{ q, n, previous, members }, shuffled]) => {
          const ring = claim(previous, members, q, n);
          expect(ringEquals(claim(previous, shuffled, q, n), ring)).toBe(true);
          expect(ringEquals(claim(ring, shuffled, q, n), ring)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('balances tiny rings, even with more members than partitions', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), membersArb(20), fc.integer({ min: 1, max: 6 }), (bits, members, n) => {
        const q = 2 ** bits;
        const first = claim(undefined, members, q, n);
        const shrunk = members.slice(0, Math.ceil(members.length / 2));
        const ring = claim(first, shrunk, q, n);
        for (const [id, { lo, hi }] of shareBounds(shrunk, q)) {
          const c = ownershipCounts(ring).get(id) ?? 0;
          expect(c >= lo && c <= hi).toBe(true);
        }
        expect(partitionsMoved(first, ring)).toBe(minimumMoves(first, shrunk, q));
      }),
      { numRuns: 100 },
    );
  });

  it('hands a joiner its share taking a fair slice from each member, and empties a leaver', () => {
    const four = claim(undefined, equalMembers(4), 256, 3);
    const five = claim(four, equalMembers(5), 256, 3);
    const counts = ownershipCounts(five);
    expect(counts.get('node-04')).toBe(51);
    expect(partitionsMoved(four, five)).toBe(51);
    const back = claim(five, equalMembers(4), 256, 3);
    expect(ringMembers(back)).toEqual(pool.slice(0, 4));
    expect(partitionsMoved(five, back)).toBe(51);
    // Only the leaver's partitions moved: everyone else kept all of theirs.
    five.owners.forEach((owner, p) => owner !== 'node-04' && expect(back.owners[p]).toBe(owner));
  });

  it('weights are capacity: weight 2 owns twice as many partitions', () => {
    const ring = claim(undefined, [{ id: 'big', weight: 2 }, { id: 'a', weight: 1 }, { id: 'b', weight: 1 }], 256, 3);
    expect(Object.fromEntries(ownershipCounts(ring))).toEqual({ a: 64, b: 64, big: 128 });
  });
});

describe('claim: input checks', () => {
  const ring = claim(undefined, equalMembers(3), 64, 3);
  it.each<[string, () => unknown]>([
    ['no members', () => claim(undefined, [], 64, 3)],
    ['Q not a power of two', () => claim(undefined, equalMembers(3), 100, 3)],
    ['Q too large', () => claim(undefined, equalMembers(3), 131072, 3)],
    ['a previous ring of another Q', () => claim(ring, equalMembers(3), 128, 3)],
    ['a malformed previous ring', () => claim({ partitionCount: 64, owners: ['a'] }, equalMembers(3), 64, 3)],
    ['n of 0', () => claim(undefined, equalMembers(3), 64, 0)],
    ['a duplicate id', () => claim(undefined, [...equalMembers(3), { id: pool[0] ?? '', weight: 2 }], 64, 3)],
    ['an empty id', () => claim(undefined, [{ id: '', weight: 1 }], 64, 3)],
    ['weight 0', () => claim(undefined, [{ id: 'a', weight: 0 }], 64, 3)],
    ['a fractional weight', () => claim(undefined, [{ id: 'a', weight: 1.5 }], 64, 3)],
    ['a weight over the cap', () => claim(undefined, [{ id: 'a', weight: memberWeightMax + 1 }], 64, 3)],
  ])('throws on %s', (_, call) => {
    expect(call).toThrow();
  });
});

describe('spreadViolations', () => {
  const ring = (owners: string): Ring => ({ partitionCount: owners.length, owners: [...owners] });
  it('counts partitions whose owner recurs within the next n-1, wrapping', () => {
    expect(spreadViolations(ring('abcabcab'), 3)).toBe(2); // across the wrap: a(6)…a(0), b(7)…b(1)
    expect(spreadViolations(ring('abcdabcd'), 3)).toBe(0);
    expect(spreadViolations(ring('abcdabcd'), 5)).toBe(8);
    expect(spreadViolations(ring('aabb'), 2)).toBe(2);
    expect(spreadViolations(ring('abab'), 1)).toBe(0);
    expect(spreadViolations(ring('a'), 3)).toBe(0); // never compared with itself
    expect(spreadViolations(ring('ab'), 3)).toBe(0);
    expect(() => spreadViolations(ring('ab'), 0)).toThrow(RangeError);
  });
});

describe('claim: spread', () => {
  const q256 = 256;

  it('initial claims have no violations whenever members > N (or Q is a multiple of N)', () => {
    for (const q of [64, 256, 1024]) {
      for (const n of [2, 3, 4, 5]) {
        for (let m = n; m <= 16; m++) {
          if (m === n && q % m !== 0) continue;
          expect(spreadViolations(claim(undefined, equalMembers(m), q, n), n), `Q=${q} N=${n} m=${m}`).toBe(0);
        }
      }
    }
  });

  it('3 members at N=3, Q=256 have the one unavoidable violation', () => {
    // Three owners with every window of three distinct must repeat with period
    // 3, and 256 is not a multiple of 3: at least one violation, and we get one.
    expect(spreadViolations(claim(undefined, equalMembers(3), q256, 3), 3)).toBe(1);
  });

  it('joining nodes one by one from 3 to 16 keeps spread (N=3, Q=256), and so does leaving down to 5', () => {
    let ring = claim(undefined, equalMembers(3), q256, 3);
    const afterJoins: number[] = [];
    for (let m = 4; m <= 16; m++) {
      ring = claim(ring, equalMembers(m), q256, 3);
      afterJoins.push(spreadViolations(ring, 3));
    }
    // The 4th member inherits the 3-member ring's violation; after that, none.
    expect(afterJoins[0]).toBeLessThanOrEqual(1);
    expect(afterJoins.slice(1)).toEqual(new Array(12).fill(0));
    for (let m = 15; m >= 5; m--) {
      ring = claim(ring, equalMembers(m), q256, 3);
      expect(spreadViolations(ring, 3), `leave to ${m}`).toBe(0);
    }
  });

  it('one equal-weight join into a ring without violations creates none', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(64, 256),
        fc.integer({ min: 2, max: 4 }),
        fc.shuffledSubarray(pool, { minLength: 17, maxLength: 17 }),
        fc.integer({ min: 0, max: 12 }),
        (q, n, ids, extra) => {
          const m = n + 1 + extra;
          const before = claim(undefined, equalMembers(m, ids), q, n);
          fc.pre(spreadViolations(before, n) === 0);
          expect(spreadViolations(claim(before, equalMembers(m + 1, ids), q, n), n)).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('one equal-weight leave creates at most 2 violations when 6+ members remain (N=3, Q=256)', () => {
    // Observed worst case over all leavers for 7..17 members: 1. Fewer members
    // have no such bound without moving more: when m-1 ≤ 2(N-1)+1 the leaver's
    // holes are often flanked by every member that could take them.
    fc.assert(
      fc.property(
        fc.integer({ min: 7, max: 17 }),
        fc.shuffledSubarray(pool, { minLength: 17, maxLength: 17 }),
        fc.nat(),
        (m, ids, pick) => {
          const members = equalMembers(m, ids);
          const before = claim(undefined, members, q256, 3);
          const after = claim(before, members.filter((_, i) => i !== pick % m), q256, 3);
          expect(spreadViolations(after, 3)).toBeLessThanOrEqual(2);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('with weights 1..4 (N=3, Q=256): 9+ members start clean, joins add nothing', () => {
    // With fewer members a weight-4 node's share approaches Q/3, where no
    // layout keeps every window of three distinct.
    fc.assert(
      fc.property(
        fc.integer({ min: 9, max: 16 }),
        fc.shuffledSubarray(pool, { minLength: 17, maxLength: 17 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 17, maxLength: 17 }),
        fc.nat(),
        (m, ids, weights, pick) => {
          const members = ids.map((id, i) => ({ id, weight: weights[i] ?? 1 }));
          const before = claim(undefined, members.slice(0, m), q256, 3);
          expect(spreadViolations(before, 3)).toBe(0);
          expect(spreadViolations(claim(before, members.slice(0, m + 1), q256, 3), 3)).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });

  // Spread ranks below balance and minimal movement, so a weighted leave may leave
  // violations: only the leaver's partitions move, and each can break at most the n
  // windows it lies in. That is the law; how far below it claim stays is a measured
  // figure, pinned to a fixed seed so that it is a regression check, not a coin toss:
  // over 30,000 random cases (12-16 members) the worst was 0.35 violations per
  // partition the leaver owned (a 12-member ring once had 8), 97% had none.
  // Preference lists skip a node they already hold, so violations never put two
  // replicas on one node.
  const weightedLeave = fc.tuple(
    fc.integer({ min: 12, max: 16 }),
    fc.shuffledSubarray(pool, { minLength: 17, maxLength: 17 }),
    fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 17, maxLength: 17 }),
    fc.nat(),
  );
  const leaveOutcome = ([m, ids, weights, pick]: [number, string[], number[], number]) => {
    const members = ids.map((id, i) => ({ id, weight: weights[i] ?? 1 })).slice(0, m);
    const before = claim(undefined, members, q256, 3);
    const leaver = members[pick % m]?.id;
    const owned = before.owners.filter((o) => o === leaver).length;
    const after = claim(before, members.filter((m) => m.id !== leaver), q256, 3);
    return { owned, violations: spreadViolations(after, 3) };
  };

  it('with weights 1..4: a leave from 12+ members breaks at most n windows per partition the leaver owned', () => {
    fc.assert(
      fc.property(weightedLeave, (c) => {
        const { owned, violations } = leaveOutcome(c);
        expect(violations).toBeLessThanOrEqual(3 * owned);
      }),
      { numRuns: 40 },
    );
  });

  it('with weights 1..4: a leave from 12+ members leaves at most half a violation per partition moved (fixed seed)', () => {
    fc.assert(
      fc.property(weightedLeave, (c) => {
        const { owned, violations } = leaveOutcome(c);
        expect(violations).toBeLessThanOrEqual(owned / 2);
      }),
      { numRuns: 400, seed: 20261204 },
    );
  });
});
