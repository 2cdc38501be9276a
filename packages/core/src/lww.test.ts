import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Dot } from './dots.js';
import { dotsAdd, dotsToWire, emptyDots } from './dots.js';
import type { KvRecord, Sibling } from './record.js';
import { assertRecordInvariants, compareDots, mergeRecords } from './record.js';
import { LwwPrefixes, applyLwwWrite, compareLww, resolveLww } from './lww.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const dotId = (d: Dot): string => `${d.actor}:${d.counter}`;
const canon = (rec: KvRecord): unknown => ({ h: dotsToWire(rec.history), s: rec.siblings.map((s) => dotId(s.dot)) });

const actors = ['n1#1', 'n2#1', 'n3#2'];
const actorArb = fc.constantFrom(...actors);
const dotArb: fc.Arbitrary<Dot> = fc.record({ actor: actorArb, counter: fc.integer({ min: 1, max: 10 }) });
// writtenAt is a function of the dot with many collisions, so ties (settled by the dot) are exercised.
const versionOf = (dot: Dot): Sibling => ({
  dot,
  value: dot.counter % 4 === 0 ? null : bytes(dotId(dot)),
  contentType: 't',
  writtenAt: (dot.counter * 7 + actors.indexOf(dot.actor) * 3) % 11,
});
const join = (a: KvRecord, b: KvRecord): KvRecord => resolveLww(mergeRecords(a, b));
const rawRecordArb: fc.Arbitrary<KvRecord> = fc
  .tuple(fc.array(dotArb, { maxLength: 8 }), fc.uniqueArray(dotArb, { maxLength: 4, selector: dotId }))
  .map(([seen, live]) => ({ history: [...seen, ...live].reduce(dotsAdd, emptyDots()), siblings: [...live].sort(compareDots).map(versionOf) }));
/**
 * States an LWW key really reaches: three replicas running a random mix of
 * writes (with no context, or the context of some replica's state) and
 * syncs (resolve∘merge of one replica's state into another's). Arbitrary
 * histories are not enough here: see the README on LWW with a TTL, where a
 * purge makes states the plain write/merge laws do not cover.
 */
const opArb = fc.oneof(
  // push: a replica the write's delta is replicated to right away (-1: none), as a coordinator does
  fc.record({ kind: fc.constant('write' as const), at: fc.integer({ min: 0, max: 2 }), ctxFrom: fc.integer({ min: -1, max: 2 }), t: fc.integer({ min: 0, max: 20 }), del: fc.boolean(), push: fc.integer({ min: -1, max: 2 }) }),
  fc.record({ kind: fc.constant('sync' as const), from: fc.integer({ min: 0, max: 2 }), to: fc.integer({ min: 0, max: 2 }) }),
);
const reachableArb: fc.Arbitrary<KvRecord[]> = fc.array(opArb, { minLength: 1, maxLength: 14 }).map((ops) => {
  const reps: KvRecord[] = [emptyRec(), emptyRec(), emptyRec()];
  const seen: KvRecord[] = [];
  for (const op of ops) {
    if (op.kind === 'write') {
      const context = op.ctxFrom < 0 ? emptyDots() : (reps[op.ctxFrom] as KvRecord).history;
      const before = reps[op.at] as KvRecord;
      const w = applyLwwWrite(before, { actor: actors[op.at] as string, context, value: op.del ? null : bytes(`${op.at}@${op.t}`), contentType: 't', writtenAt: op.t });
      // the delta is the write alone: merged into what the coordinator held, it is the written record
      if (JSON.stringify(canon(join(before, w.delta))) !== JSON.stringify(canon(w.record))) throw new Error('record ≠ held ⊔ delta');
      reps[op.at] = w.record;
      if (op.push >= 0) reps[op.push] = join(reps[op.push] as KvRecord, w.delta);
    } else {
      reps[op.to] = join(reps[op.to] as KvRecord, reps[op.from] as KvRecord);
    }
    seen.push(...reps);
  }
  return seen;
});
const pick = (states: KvRecord[], i: number): KvRecord => states[i % states.length] as KvRecord;
function emptyRec(): KvRecord {
  return { history: emptyDots(), siblings: [] };
}
const runs = { numRuns: Number(process.env.LWW_RUNS ?? 400) };

describe('lww: laws of resolve∘merge (fast-check; a failure prints its seed)', () => {
  it('is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(reachableArb, fc.nat(), fc.nat(), fc.nat(), (states, i, j, k) => {
        const [a, b, c] = [pick(states, i), pick(states, j), pick(states, k)];
        expect(canon(join(a, b))).toEqual(canon(join(b, a)));
        expect(canon(join(join(a, b), c))).toEqual(canon(join(a, join(b, c))));
        expect(canon(join(a, a))).toEqual(canon(a));
        expect(canon(join(a, join(a, b)))).toEqual(canon(join(a, b)));
        assertRecordInvariants(join(a, b));
      }),
      runs,
    );
  });

  it('keeps at most one sibling: the greatest (writtenAt, dot) of what the plain merge keeps', () => {
    fc.assert(
      fc.property(rawRecordArb, rawRecordArb, (a, b) => {
        const plain = mergeRecords(a, b).siblings;
        const survivors = resolveLww(mergeRecords(a, b)).siblings;
        expect(survivors.length).toBe(Math.min(1, plain.length));
        for (const s of plain) expect(compareLww(s, survivors[0] as Sibling)).toBeLessThanOrEqual(0);
      }),
      runs,
    );
  });

  it('of concurrent writes on different replicas, in any merge order, the newest timestamp survives', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 50 })), { minLength: 1, maxLength: 6 }), fc.boolean(), (writes, reverse) => {
        const replicas: (KvRecord | undefined)[] = [undefined, undefined, undefined];
        const made: Sibling[] = [];
        for (const [i, t] of writes) {
          const { record, dot } = applyLwwWrite(replicas[i], { actor: actors[i] as string, context: emptyDots(), value: bytes(`${i}@${t}`), contentType: 't', writtenAt: t });
          replicas[i] = record;
          made.push(record.siblings.find((s) => compareDots(s.dot, dot) === 0) as Sibling);
        }
        const held = replicas.filter((r): r is KvRecord => r !== undefined);
        const merged = (reverse ? [...held].reverse() : held).reduce(join);
        // each replica's later write superseded its earlier ones (causally); across replicas the newest timestamp wins
        const lastPerReplica = [0, 1, 2].map((i) => made.filter((s) => s.dot.actor === actors[i]).at(-1)).filter((s): s is Sibling => s !== undefined);
        const newest = lastPerReplica.reduce((x, y) => (compareLww(x, y) >= 0 ? x : y));
        expect(merged.siblings.map((s) => dotId(s.dot))).toEqual([dotId(newest.dot)]);
      }),
      runs,
    );
  });
});

describe('lww: examples', () => {
  it('a write supersedes what the replica holds, whatever the context', () => {
    const w = (rec: KvRecord | undefined, v: string, t: number) =>
      applyLwwWrite(rec, { actor: 'n1#1', context: emptyDots(), value: bytes(v), contentType: 't', writtenAt: t }).record;
    const rec = w(w(undefined, 'a', 10), 'b', 5); // even with an older clock: the replica had seen 'a'
    expect(rec.siblings.map((s) => new TextDecoder().decode(s.value ?? undefined))).toEqual(['b']);
  });

  it('matches keys by byte prefix', () => {
    const p = new LwwPrefixes(['cache/', 'sé']);
    expect(p.covers(bytes('cache/x'))).toBe(true);
    expect(p.covers(bytes('cache'))).toBe(false);
    expect(p.covers(bytes('sés'))).toBe(true);
    expect(new LwwPrefixes([]).covers(bytes('x'))).toBe(false);
  });
});
