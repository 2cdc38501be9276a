import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Dot } from './dots.js';
import { dotsAdd, dotsHas, dotsToWire, emptyDots } from './dots.js';
import type { KvRecord, Sibling } from './record.js';
import { InvariantViolation, applyWrite, compareDots, isDeleted, mergeRecords } from './record.js';
import { expiriesOf, isAbsentAt, isExpired, liveAt, purgeExpired } from './expiry.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const dotId = (d: Dot): string => `${d.actor}:${d.counter}`;
const liveIds = (rec: KvRecord, now: number): string[] => liveAt(rec, now).map((s) => dotId(s.dot));
const canon = (rec: KvRecord): unknown => ({ h: dotsToWire(rec.history), s: rec.siblings.map((s) => dotId(s.dot)) });

// One version per dot (the record invariant): a dot's value, deadline and
// tombstone-ness are functions of the dot, so any two generated records agree on shared dots.
const actorArb = fc.constantFrom('n1#1', 'n2#1', 'n3#2');
const dotArb: fc.Arbitrary<Dot> = fc.record({ actor: actorArb, counter: fc.integer({ min: 1, max: 10 }) });
const versionOf = (dot: Dot): Sibling => {
  const writtenAt = dot.counter * 100;
  const base = { dot, value: dot.counter % 5 === 0 ? null : bytes(dotId(dot)), contentType: 't', writtenAt };
  // two thirds carry a deadline between 1 and 1000 ms after the write
  return dot.counter % 3 === 0 ? base : { ...base, expiresAt: writtenAt + ((dot.counter * 337 + dot.actor.length * 71) % 1000) + 1 };
};
const recordArb: fc.Arbitrary<KvRecord> = fc
  .tuple(fc.array(dotArb, { maxLength: 8 }), fc.uniqueArray(dotArb, { maxLength: 4, selector: dotId }))
  .map(([seen, live]) => ({
    history: [...seen, ...live].reduce(dotsAdd, emptyDots()),
    siblings: [...live].sort(compareDots).map(versionOf),
  }));
const nowArb = fc.integer({ min: 0, max: 2200 });
const seedNote = { numRuns: 300 };

describe('expiry: examples', () => {
  const put = (rec: KvRecord | undefined, value: string, writtenAt: number, expiresAt?: number) =>
    applyWrite(rec, { actor: 'n1#1', context: rec?.history ?? emptyDots(), value: bytes(value), contentType: 't', writtenAt, ...(expiresAt === undefined ? {} : { expiresAt }) });

  it('a value with a deadline is live before it and absent from it on', () => {
    const { record } = put(undefined, 'v', 1000, 3000);
    expect(liveIds(record, 2999)).toEqual(['n1#1:1']);
    expect(isAbsentAt(record, 3000)).toBe(true);
    expect(isExpired(record.siblings[0] as Sibling, 3000)).toBe(true);
    expect(expiriesOf(record)).toEqual([3000]);
  });

  it('purging keeps the dot in history, so a replica still holding the value loses it in the merge', () => {
    const { record } = put(undefined, 'v', 1000, 3000);
    const purged = purgeExpired(record, 5000);
    expect(purged.siblings).toEqual([]);
    expect(dotsHas(purged.history, { actor: 'n1#1', counter: 1 })).toBe(true);
    expect(isDeleted(purged)).toBe(true); // what tombstone GC looks for
    expect(mergeRecords(record, purged).siblings).toEqual([]);
    expect(mergeRecords(purged, record).siblings).toEqual([]);
    expect(purgeExpired(record, 2000)).toBe(record); // nothing expired: the same object
  });

  it('an overwritten value stays overwritten after the new value expires', () => {
    const first = put(undefined, 'old', 1000).record; // no TTL
    const second = put(first, 'new', 2000, 3000).record;
    const purged = purgeExpired(second, 4000);
    // a stale replica still holding the old value cannot bring it back
    expect(mergeRecords(first, purged).siblings).toEqual([]);
  });

  it('a version under one dot with another deadline is an invariant violation', () => {
    const a = put(undefined, 'v', 1000, 3000).record;
    const b = put(undefined, 'v', 1000, 9000).record;
    expect(() => mergeRecords(a, b)).toThrow(InvariantViolation);
  });

  it('applyWrite refuses a deadline not after the write', () => {
    expect(() => put(undefined, 'v', 1000, 1000)).toThrow(RangeError);
  });
});

describe('expiry: laws (fast-check; a failure prints its seed)', () => {
  it('purge is idempotent and monotone in time', () => {
    fc.assert(
      fc.property(recordArb, nowArb, nowArb, (a, t1, t2) => {
        expect(canon(purgeExpired(purgeExpired(a, t1), t1))).toEqual(canon(purgeExpired(a, t1)));
        expect(canon(purgeExpired(purgeExpired(a, t1), t2))).toEqual(canon(purgeExpired(a, Math.max(t1, t2))));
      }),
      seedNote,
    );
  });

  it('purge commutes with merge: what is live after a merge does not depend on who purged first', () => {
    fc.assert(
      fc.property(recordArb, recordArb, nowArb, nowArb, (a, b, tPurge, extra) => {
        const now = tPurge + extra; // read at or after the purge
        expect(liveIds(mergeRecords(purgeExpired(a, tPurge), b), now)).toEqual(liveIds(mergeRecords(a, b), now));
        expect(canon(purgeExpired(mergeRecords(a, b), tPurge))).toEqual(canon(mergeRecords(purgeExpired(a, tPurge), purgeExpired(b, tPurge))));
      }),
      seedNote,
    );
  });

  it('no expired value is live after any merge order, and a purged one never comes back as a sibling', () => {
    fc.assert(
      fc.property(recordArb, fc.array(fc.tuple(recordArb, fc.nat()), { maxLength: 5 }), nowArb, (first, rest, now) => {
        // purge one replica, then merge everything in a random order
        const purged = purgeExpired(first, now);
        const gone = new Set(first.siblings.filter((s) => isExpired(s, now)).map((s) => dotId(s.dot)));
        const shuffled = [...rest].sort((x, y) => x[1] - y[1]).map(([r]) => r);
        const merged = shuffled.reduce((acc, r) => mergeRecords(r, acc), purged);
        for (const s of liveAt(merged, now)) expect(isExpired(s, now)).toBe(false);
        for (const s of merged.siblings) expect(gone.has(dotId(s.dot))).toBe(false);
      }),
      seedNote,
    );
  });
});
