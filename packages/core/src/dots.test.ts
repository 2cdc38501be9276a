import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import type { Dot, Dots } from './dots.js';
import {
  dotsActors,
  dotsAdd,
  dotsCount,
  dotsEqual,
  dotsFromVersionVector,
  dotsFromWire,
  dotsGapCount,
  dotsHas,
  dotsLeq,
  dotsMaxCounter,
  dotsRemove,
  dotsToWire,
  dotsUnion,
  emptyDots,
} from './dots.js';

// Few actors so that sets overlap; the tricky names check that no prototype leaks in.
const actorArb = fc.constantFrom('n1#1', 'n2#1', 'n3#2', '__proto__', 'constructor');
// Small counters collide often; counters near 1e9 check that gaps stay ranges.
const counterArb = fc.oneof(
  fc.integer({ min: 1, max: 50 }),
  fc.integer({ min: 1e9 - 3, max: 1e9 + 3 }),
  fc.integer({ min: 1, max: 1e9 }),
);
const dotArb: fc.Arbitrary<Dot> = fc.record({ actor: actorArb, counter: counterArb });

const dotsArb: fc.Arbitrary<Dots> = fc
  .tuple(
    fc.dictionary(actorArb, fc.integer({ min: 0, max: 40 }), { maxKeys: 3 }),
    fc.array(dotArb, { maxLength: 12 }),
    fc.array(dotArb, { maxLength: 8 }),
  )
  .map(([vv, adds, removes]) => dotsRemove(adds.reduce(dotsAdd, dotsFromVersionVector(vv)), removes));

const fail = (why: string): never => {
  throw new Error(why);
};

/** Canonical form is also what the strict wire parser accepts. */
function expectCanonical(d: Dots): void {
  expect(dotsFromWire(dotsToWire(d), fail)).toEqual(d);
}

const key = (dot: Dot): string => `${dot.actor}\u0000${dot.counter}`;

describe('dots: examples', () => {
  it('is empty at first', () => {
    const d = emptyDots();
    expect(dotsActors(d)).toEqual([]);
    expect(dotsCount(d)).toBe(0);
    expect(dotsHas(d, { actor: 'a', counter: 1 })).toBe(false);
    expect(dotsMaxCounter(d, 'a')).toBe(0);
  });

  it('keeps a contiguous run without gaps', () => {
    let d = emptyDots();
    for (const counter of [3, 1, 2]) d = dotsAdd(d, { actor: 'a', counter });
    expect(d).toEqual(dotsFromVersionVector({ a: 3 }));
    expect(dotsGapCount(d)).toBe(0);
  });

  it('stores a jump to a huge counter as one gap range', () => {
    const d = dotsAdd(dotsAdd(emptyDots(), { actor: 'a', counter: 1 }), { actor: 'a', counter: 1e9 });
    expect(d.max['a']).toBe(1e9);
    expect(d.gaps['a']).toEqual([[2, 1e9 - 1]]);
    expect(dotsCount(d)).toBe(2);
    expect(dotsHas(d, { actor: 'a', counter: 5e8 })).toBe(false);
  });

  it('lowers max to the next present counter when the max is removed', () => {
    let d = dotsFromVersionVector({ a: 10 });
    d = dotsRemove(d, [{ actor: 'a', counter: 7 }, { actor: 'a', counter: 8 }]);
    d = dotsRemove(d, [{ actor: 'a', counter: 10 }, { actor: 'a', counter: 9 }]);
    expect(d.max['a']).toBe(6);
    expect(Object.hasOwn(d.gaps, 'a')).toBe(false);
    expect(dotsRemove(d, [{ actor: 'a', counter: 1 }]).gaps['a']).toEqual([[1, 1]]);
  });

  it('drops an actor whose last dot is removed', () => {
    const d = dotsRemove(dotsFromVersionVector({ a: 1, b: 2 }), [{ actor: 'a', counter: 1 }]);
    expect(dotsActors(d)).toEqual(['b']);
  });

  it('treats __proto__ as an ordinary actor', () => {
    const d = dotsAdd(emptyDots(), { actor: '__proto__', counter: 2 });
    expect(dotsHas(d, { actor: '__proto__', counter: 2 })).toBe(true);
    expect(dotsActors(d)).toEqual(['__proto__']);
    expect(dotsHas(emptyDots(), { actor: 'toString', counter: 1 })).toBe(false);
    expect(dotsMaxCounter(emptyDots(), 'constructor')).toBe(0);
    expectCanonical(d);
  });

  it('reads version vectors, skipping zeros', () => {
    const d = dotsFromVersionVector({ b: 2, a: 0, c: 1 });
    expect(dotsActors(d)).toEqual(['b', 'c']);
    expect(dotsCount(d)).toBe(3);
    expect(() => dotsFromVersionVector({ a: -1 })).toThrow(RangeError);
  });

  it('rejects invalid dots', () => {
    for (const counter of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN]) {
      expect(() => dotsAdd(emptyDots(), { actor: 'a', counter })).toThrow(RangeError);
    }
    expect(() => dotsAdd(emptyDots(), { actor: '', counter: 1 })).toThrow(RangeError);
  });

  it('accepts only canonical wire forms', () => {
    const bad: unknown[] = [
      {},
      [['a']],
      [['a', 0]],
      [['b', 1], ['a', 1]],
      [['a', 1], ['a', 2]],
      [['a', 5, []]],
      [['a', 5, [1]]],
      [['a', 5, [2, 1]]],
      [['a', 5, [1, 5]]],
      [['a', 9, [1, 2, 3, 4]]],
      [['a', 9, [3, 4, 1, 1]]],
      [['a', 1.5]],
      [[1, 1]],
    ];
    for (const x of bad) expect(() => dotsFromWire(x, fail), JSON.stringify(x)).toThrow();
    expect(dotsFromWire([['a', 9, [1, 2, 4, 4]]], fail).gaps['a']).toEqual([[1, 2], [4, 4]]);
  });
});

describe('dots: laws', () => {
  it('union is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(dotsArb, dotsArb, dotsArb, (a, b, c) => {
        expect(dotsUnion(a, b)).toEqual(dotsUnion(b, a));
        expect(dotsUnion(dotsUnion(a, b), c)).toEqual(dotsUnion(a, dotsUnion(b, c)));
        expect(dotsUnion(a, a)).toEqual(a);
        expectCanonical(dotsUnion(a, b));
      }),
    );
  });

  it('union is the least upper bound', () => {
    fc.assert(
      fc.property(dotsArb, dotsArb, dotsArb, (a, b, extra) => {
        const u = dotsUnion(a, b);
        expect(dotsLeq(a, u) && dotsLeq(b, u)).toBe(true);
        const upper = dotsUnion(u, extra);
        expect(dotsLeq(u, upper)).toBe(true);
        // anything strictly smaller than u misses a dot of a or b
        for (const actor of dotsActors(u)) {
          const smaller = dotsRemove(u, [{ actor, counter: dotsMaxCounter(u, actor) }]);
          expect(dotsLeq(a, smaller) && dotsLeq(b, smaller)).toBe(false);
        }
        expect(dotsLeq(a, b) && dotsLeq(b, a)).toBe(dotsEqual(a, b));
      }),
    );
  });

  it('agrees with a naive set on random operations', () => {
    type Op = { kind: 'add'; dot: Dot } | { kind: 'remove'; dots: Dot[] } | { kind: 'union'; dots: Dot[] };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), dot: dotArb }),
      fc.record({ kind: fc.constant('remove' as const), dots: fc.array(dotArb, { maxLength: 4 }) }),
      fc.record({ kind: fc.constant('union' as const), dots: fc.array(dotArb, { maxLength: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        let d = emptyDots();
        const model = new Map<string, Dot>();
        const probes: Dot[] = [];
        for (const op of ops) {
          if (op.kind === 'add') {
            d = dotsAdd(d, op.dot);
            model.set(key(op.dot), op.dot);
          } else if (op.kind === 'remove') {
            d = dotsRemove(d, op.dots);
            for (const dot of op.dots) model.delete(key(dot));
          } else {
            d = dotsUnion(d, op.dots.reduce(dotsAdd, emptyDots()));
            for (const dot of op.dots) model.set(key(dot), dot);
          }
          probes.push(...(op.kind === 'add' ? [op.dot] : op.dots));
          expectCanonical(d);
        }
        for (const { actor, counter } of probes) {
          for (const c of [counter - 1, counter, counter + 1]) {
            expect(dotsHas(d, { actor, counter: c })).toBe(model.has(key({ actor, counter: c })));
          }
        }
        expect(dotsCount(d)).toBe(model.size);
        for (const actor of ['n1#1', 'n2#1', 'n3#2', '__proto__', 'constructor']) {
          const counters = [...model.values()].filter((x) => x.actor === actor).map((x) => x.counter);
          expect(dotsMaxCounter(d, actor)).toBe(Math.max(0, ...counters));
        }
        const modelSet = [...model.values()].reduce(dotsAdd, emptyDots());
        expect(dotsLeq(d, modelSet) && dotsLeq(modelSet, d)).toBe(true);
      }),
    );
  });

  it('has a unique canonical form', () => {
    fc.assert(
      fc.property(fc.array(dotArb, { maxLength: 20 }), fc.array(dotArb, { maxLength: 5 }), (dots, removed) => {
        const forwards = dotsRemove(dots.reduce(dotsAdd, emptyDots()), removed);
        const backwards = dotsRemove([...dots].reverse().reduce(dotsAdd, emptyDots()), removed);
        const pairwise = dots.map((dot) => dotsAdd(emptyDots(), dot)).reduce(dotsUnion, emptyDots());
        const viaUnion = dotsRemove(pairwise, removed);
        // remove one at a time, highest first, to exercise lowering max
        const oneByOne = [...removed]
          .sort((x, y) => y.counter - x.counter)
          .reduce((d, dot) => dotsRemove(d, [dot]), dots.reduce(dotsAdd, emptyDots()));
        expect(backwards).toEqual(forwards);
        expect(viaUnion).toEqual(forwards);
        expect(oneByOne).toEqual(forwards);
        expect(dotsEqual(viaUnion, forwards)).toBe(true);
      }),
    );
  });

  it('dotsEqual matches deep equality', () => {
    fc.assert(
      fc.property(dotsArb, dotsArb, (a, b) => {
        expect(dotsEqual(a, b)).toBe(isDeepStrictEqual(a, b));
      }),
    );
  });

  it('survives the wire form', () => {
    fc.assert(
      fc.property(dotsArb, (d) => {
        expect(dotsEqual(dotsFromWire(dotsToWire(d), fail), d)).toBe(true);
      }),
    );
  });
});
