import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pack } from 'msgpackr';
import {
  PnCounterFormatError,
  assertPnInvariants,
  decodePn,
  encodePn,
  incrementPn,
  joinAllPn,
  joinPn,
  pnValue,
  type PnCounter,
  type PnEntry,
} from './pn-counter.js';
import { counterKeyBytesMax, encodeCounterKey, isCounterKey } from './counter-key.js';
import { encodeKey } from './key.js';
import { RingkvError } from './errors.js';

// ---- arbitrary valid states (for the lattice laws) ---------------------------

const entryArb: fc.Arbitrary<PnEntry> = fc
  .record({
    actor: fc.constantFrom('a', 'b', 'c'),
    since: fc.integer({ min: 1, max: 4 }),
    extra: fc.integer({ min: 0, max: 4 }),
    p: fc.integer({ min: 0, max: 50 }),
    n: fc.integer({ min: 0, max: 50 }),
  })
  .map(({ extra, ...e }) => ({ ...e, last: e.since + extra }));

const stateArb: fc.Arbitrary<PnCounter> = fc
  .record({
    windowEnd: fc.constantFrom(null, 100, 200),
    entries: fc.uniqueArray(entryArb, { minLength: 1, maxLength: 6, selector: (e) => `${e.actor}/${e.since}` }),
  })
  .map(({ windowEnd, entries }) => ({
    windowEnd,
    entries: [...entries].sort((x, y) => (x.actor < y.actor ? -1 : x.actor > y.actor ? 1 : x.since - y.since)),
  }));
const maybeStateArb = fc.option(stateArb, { nil: undefined });

/** The lattice order: a ⊑ b iff a ⊔ b = b. */
const leq = (a: PnCounter | undefined, b: PnCounter | undefined): boolean => {
  expect(joinPn(a, b)).toEqual(b);
  return true;
};

describe('PN-counter join is a semilattice', () => {
  it('is commutative', () => {
    fc.assert(fc.property(maybeStateArb, maybeStateArb, (a, b) => {
        expect(joinPn(a, b)).toEqual(joinPn(b, a));
      }),
    );
  });

  it('is associative', () => {
    fc.assert(
      fc.property(maybeStateArb, maybeStateArb, maybeStateArb, (a, b, c) => {
        expect(joinPn(joinPn(a, b), c)).toEqual(joinPn(a, joinPn(b, c)));
      }),
    );
  });

  it('is idempotent', () => {
    fc.assert(fc.property(maybeStateArb, (a) => {
        expect(joinPn(a, a)).toEqual(a);
      }),
    );
  });

  it('is monotone: the join is above both sides, and joining more never goes down', () => {
    fc.assert(
      fc.property(maybeStateArb, maybeStateArb, maybeStateArb, (a, b, c) => {
        const ab = joinPn(a, b);
        leq(a, ab);
        leq(b, ab);
        leq(ab, joinPn(ab, c));
      }),
    );
  });

  it('keeps the invariants', () => {
    fc.assert(fc.property(stateArb, stateArb, (a, b) => assertPnInvariants(joinPn(a, b) as PnCounter)));
  });
});

// ---- a model of replicas incrementing, syncing and forgetting ----------------

type Op =
  | { readonly kind: 'inc'; readonly at: number; readonly delta: number; readonly ttlMs: number | undefined; readonly dt: number }
  | { readonly kind: 'sync'; readonly from: number; readonly to: number }
  /** the replica hands its state over and later holds only some older state (a delivered hint, a dropped partition) */
  | { readonly kind: 'forget'; readonly at: number; readonly to: number; readonly pick: number };

const replicas = 3;
const opArb = (ttl: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.record({
      kind: fc.constant('inc' as const),
      at: fc.nat(replicas - 1),
      delta: fc.integer({ min: -5, max: 9 }),
      ttlMs: ttl ? fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }) : fc.constant(undefined),
      dt: ttl ? fc.integer({ min: 0, max: 15 }) : fc.constant(1),
    }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: fc.nat(replicas - 1), to: fc.nat(replicas - 1) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('forget' as const), at: fc.nat(replicas - 1), to: fc.nat(replicas - 1), pick: fc.nat() }) },
  );

interface Run {
  /** every state ever produced: a sound system keeps each one somewhere until a later one covers it */
  readonly produced: PnCounter[];
  /** each increment's delta and the window of the state it produced */
  readonly increments: { delta: number; windowEnd: number | null }[];
  readonly now: number;
}

function run(ops: readonly Op[], skews: readonly number[]): Run {
  const local: (PnCounter | undefined)[] = Array.from({ length: replicas }, () => undefined);
  const dots = Array.from({ length: replicas }, () => 0); // per actor: the DVV dot counter, monotone for the key
  const produced: PnCounter[] = [];
  const increments: { delta: number; windowEnd: number | null }[] = [];
  let now = 1000;
  for (const op of ops) {
    if (op.kind === 'inc') {
      now += op.dt;
      const actor = `r${op.at}`;
      const dot = ++dots[op.at]!;
      const s = incrementPn(local[op.at], { actor, dot, delta: op.delta, now: now + (skews[op.at] ?? 0), ttlMs: op.ttlMs });
      local[op.at] = s;
      produced.push(s);
      increments.push({ delta: op.delta, windowEnd: s.windowEnd });
    } else if (op.kind === 'sync') {
      local[op.to] = joinPn(local[op.to], local[op.from]);
    } else {
      local[op.to] = joinPn(local[op.to], local[op.at]);
      local[op.at] = produced.length === 0 ? undefined : produced[op.pick % produced.length];
    }
  }
  return { produced, increments, now };
}

function expectedSum(r: Run, windowEnd: number | null): number {
  return r.increments.filter((i) => i.windowEnd === windowEnd).reduce((a, i) => a + i.delta, 0);
}

const rawSum = (s: PnCounter): number => s.entries.reduce((a, e) => a + e.p - e.n, 0);

describe('PN-counter increments', () => {
  it('are never lost: joining every replica state in any order gives the sum of all deltas (plain counter)', () => {
    fc.assert(
      fc.property(fc.array(opArb(false), { maxLength: 60 }), fc.infiniteStream(fc.nat()), (ops, order) => {
        const r = run(ops, [0, 0, 0]);
        const shuffled = [...r.produced].map((s) => ({ s, k: order.next().value as number })).sort((x, y) => x.k - y.k).map((x) => x.s);
        const all = joinAllPn(shuffled);
        expect(pnValue(all, r.now)).toBe(expectedSum(r, null));
        expect(all).toEqual(joinAllPn(r.produced));
      }),
      { numRuns: 300 },
    );
  });

  it('are never lost within the current window; older windows are dropped whole (skewed clocks too)', () => {
    fc.assert(
      fc.property(
        fc.array(opArb(true), { maxLength: 60 }),
        fc.array(fc.integer({ min: -10, max: 10 }), { minLength: replicas, maxLength: replicas }),
        (ops, skews) => {
          const r = run(ops, skews);
          const all = joinAllPn(r.produced);
          if (all === undefined) {
            expect(r.increments).toEqual([]);
            return;
          }
          expect(rawSum(all)).toBe(expectedSum(r, all.windowEnd));
          // the winning window is the latest any increment produced
          const ends = r.increments.map((i) => i.windowEnd);
          expect(ends.includes(null) ? null : Math.max(...(ends as number[]))).toBe(all.windowEnd);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('inflate the state they start from when no window ends', () => {
    fc.assert(
      fc.property(maybeStateArb, fc.integer({ min: -9, max: 9 }), (s, delta) => {
        const next = incrementPn(s, { actor: 'b', dot: 100, delta, now: 50 });
        if (s !== undefined) leq(s, next);
      }),
    );
  });

  it('continue their own entry only from its latest raise, else open a new one', () => {
    const one = incrementPn(undefined, { actor: 'a', dot: 1, delta: 5, now: 1 });
    const two = incrementPn(one, { actor: 'a', dot: 2, delta: -2, now: 2 });
    expect(two.entries).toEqual([{ actor: 'a', since: 1, last: 2, p: 5, n: 2 }]);
    // dot 4: some raise at dot 3 may exist elsewhere, so a fresh entry
    const gap = incrementPn(two, { actor: 'a', dot: 4, delta: 1, now: 3 });
    expect(gap.entries).toHaveLength(2);
    expect(pnValue(gap, 3)).toBe(4);
  });

  it('start a window, add to it until it ends, then read 0 and start over', () => {
    const a = incrementPn(undefined, { actor: 'a', dot: 1, delta: 1, now: 1000, ttlMs: 500 });
    expect(a.windowEnd).toBe(1500);
    const b = incrementPn(a, { actor: 'a', dot: 2, delta: 1, now: 1200, ttlMs: 9999 });
    expect(b.windowEnd).toBe(1500); // the first increment fixed the end
    expect(pnValue(b, 1499)).toBe(2);
    expect(pnValue(b, 1500)).toBe(0);
    const c = incrementPn(b, { actor: 'a', dot: 3, delta: 1, now: 1600, ttlMs: 500 });
    expect(c.windowEnd).toBe(2100);
    expect(pnValue(c, 1600)).toBe(1);
    expect(joinPn(b, c)).toEqual(c);
  });

  it('refuse deltas beyond the bound and totals beyond safe integers', () => {
    expect(() => incrementPn(undefined, { actor: 'a', dot: 1, delta: 1e13, now: 1 })).toThrow(RangeError);
    expect(() => incrementPn(undefined, { actor: 'a', dot: 1, delta: 0.5, now: 1 })).toThrow(RangeError);
    const big: PnCounter = { windowEnd: null, entries: [{ actor: 'a', since: 1, last: 1, p: Number.MAX_SAFE_INTEGER - 1, n: 0 }] };
    expect(() => incrementPn(big, { actor: 'b', dot: 1, delta: 5, now: 1 })).toThrow(RingkvError);
  });
});

describe('PN-counter bytes', () => {
  it('round-trip', () => {
    fc.assert(fc.property(stateArb, (s) => {
        expect(decodePn(encodePn(s))).toEqual(s);
      }),
    );
  });

  it('never accept garbage: random bytes decode to a sound state or fail with PnCounterFormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          assertPnInvariants(decodePn(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(PnCounterFormatError);
        }
      }),
    );
  });

  it('refuse each malformed field', () => {
    const bad: unknown[] = [
      [2, null, [['a', 1, 1, 0, 0]]], // unknown version
      [1, null, []], // no entry
      [1, -5, [['a', 1, 1, 0, 0]]], // window end
      [1, 1.5, [['a', 1, 1, 0, 0]]],
      [1, null, [['', 1, 1, 0, 0]]], // actor
      [1, null, [['a', 2, 1, 0, 0]]], // last before since
      [1, null, [['a', 1, 1, -1, 0]]], // negative total
      [1, null, [['a', 1, 1, 0, 2 ** 60]]], // unsafe total
      [1, null, [['b', 1, 1, 0, 0], ['a', 1, 1, 0, 0]]], // unsorted
      [1, null, [['a', 1, 1, 0, 0], ['a', 1, 1, 0, 0]]], // duplicate
      [1, null, [['a', 1, 1, 0]]], // short entry
      [1, null],
      'x',
    ];
    for (const x of bad) expect(() => decodePn(pack(x)), JSON.stringify(x)).toThrow(PnCounterFormatError);
  });
});

describe('counter keys', () => {
  it('never collide with a /kv key: no UTF-8 encoding starts with 0xFF', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }), (k) => {
        expect(isCounterKey(encodeKey(k))).toBe(false);
        const ck = encodeCounterKey(k);
        expect(isCounterKey(ck)).toBe(true);
        expect([...ck.subarray(1)]).toEqual([...encodeKey(k)]);
      }),
    );
  });

  it('leave room for the prefix byte', () => {
    expect(encodeCounterKey('x'.repeat(counterKeyBytesMax))).toHaveLength(1024);
    expect(() => encodeCounterKey('x'.repeat(counterKeyBytesMax + 1))).toThrow(RingkvError);
    expect(() => encodeCounterKey('')).toThrow(RingkvError);
  });
});
