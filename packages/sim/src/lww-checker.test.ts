import { dotsAdd, emptyDots, type Dot, type KvRecord } from '@ringkv/core';
import { describe, expect, it } from 'vitest';
import { checkHistory, type FinalKeyState } from './checker.js';
import type { HistoryOp } from './history.js';
import { isLwwKey } from './workload.js';

/** Hand-made histories of one LWW key: each property must flag what it is for and pass what is fine. */
const key = 'lww-0';
let t = 0;
const op = (o: Partial<HistoryOp> & Pick<HistoryOp, 'kind'>): HistoryOp => {
  t += 10;
  return { id: t, client: 0, node: 'n1', key, invokedAt: t, completedAt: t + 5, outcome: 'ok', sloppy: false, ringEpoch: 1, ...o };
};
const dot = (counter: number): Dot => ({ actor: 'n1#1', counter });
/** an acknowledged put stamped `at` with dot n1#1:counter */
const put = (at: number, counter: number, extra: Partial<HistoryOp> = {}): HistoryOp => op({ kind: 'put', value: `v${counter}`, dot: dot(counter), writtenAt: at, ...extra });
const del = (at: number, counter: number, extra: Partial<HistoryOp> = {}): HistoryOp => op({ kind: 'del', dot: dot(counter), writtenAt: at, ...extra });
/** a get that returned the version stamped `at` (undefined: nothing) */
const get = (at: number | undefined, counter = 0, extra: Partial<HistoryOp> = {}): HistoryOp =>
  op({ kind: 'get', ...(at !== undefined && { readNewest: { writtenAt: at, dot: dot(counter), deleted: false }, readSiblings: 1 }), ...extra });

/** Every replica holds the versions stamped `ats` (dots 1, 2, … unless given); none: the key is absent. */
function finalOf(...versions: (readonly [at: number, counter: number, deleted?: boolean])[]): FinalKeyState {
  const rec: KvRecord | undefined =
    versions.length === 0
      ? undefined
      : {
          history: versions.reduce((h, [, c]) => dotsAdd(h, dot(c)), emptyDots()),
          siblings: versions.map(([at, c, deleted]) => ({ dot: dot(c), value: deleted === true ? null : new TextEncoder().encode(`v${c}`), contentType: 'text/plain', writtenAt: at })),
        };
  return { key, replicas: new Map([['n1', rec], ['n2', rec], ['n3', rec]]) };
}
const check = (ops: HistoryOp[], final: FinalKeyState, extra: { strictQuorums?: boolean; clockPeakBy?: (t: number) => number } = {}): string[] =>
  checkHistory(ops, [final], { strictQuorums: extra.strictQuorums ?? true, clients: 4, lwwKey: isLwwKey, ...(extra.clockPeakBy !== undefined && { clockPeakBy: extra.clockPeakBy }) }).map(
    (v) => v.property,
  );

describe('LWW keys in checkHistory', () => {
  it('passes a history whose key ends with its newest acknowledged write, whatever came last in real time', () => {
    // the later put (in real time) was stamped earlier: it loses, by design
    expect(check([put(200, 1), put(100, 2), get(200, 1)], finalOf([200, 1]))).toEqual([]);
  });

  it('is not held to the sibling rules: a write without a context superseded everything', () => {
    expect(check([put(100, 1), put(200, 2)], finalOf([200, 2]))).toEqual([]);
  });

  it('flags a key that ends older than an acknowledged write (lww-lost-write)', () => {
    expect(check([put(100, 1), put(200, 2)], finalOf([100, 1]))).toEqual(['lww-lost-write']);
    // equal stamps are ordered by the dot
    expect(check([put(100, 1), put(100, 2)], finalOf([100, 1]))).toEqual(['lww-lost-write']);
  });

  it('flags a key that ends empty although its newest acknowledged write was a put (lww-lost-write)', () => {
    expect(check([del(100, 1), put(200, 2)], finalOf())).toEqual(['lww-lost-write']);
    // ...but not when a newer delete, or a delete of unknown outcome and stamp, may have erased it
    expect(check([put(100, 1), del(200, 2)], finalOf())).toEqual([]);
    expect(check([put(100, 1), del(0, 2, { outcome: 'info', writtenAt: undefined, dot: undefined })], finalOf())).toEqual([]);
  });

  it('lets an expired TTL put, and what it superseded, be gone once some clock passed its deadline', () => {
    const ttl = put(200, 2, { ttlMs: 50, expiresAt: 250 });
    expect(check([put(100, 1), ttl], finalOf(), { clockPeakBy: () => 300 })).toEqual([]);
    expect(check([put(100, 1), ttl], finalOf(), { clockPeakBy: () => 240 })).toEqual(['lww-lost-write']);
  });

  it('exempts the documented TTL hole: an older version may outlive a newer one that expired', () => {
    const ttl = put(300, 3, { ttlMs: 50, expiresAt: 350 });
    expect(check([put(100, 1), put(200, 2), ttl], finalOf([100, 1]), { clockPeakBy: () => 400 })).toEqual([]);
    expect(check([put(100, 1), put(200, 2), ttl], finalOf([100, 1]), { clockPeakBy: () => 340 })).toEqual(['lww-lost-write']);
  });

  it('flags a strict read older than a write acknowledged before it began (lww-stale-read)', () => {
    expect(check([put(100, 1), put(200, 2), get(100, 1)], finalOf([200, 2]))).toEqual(['lww-stale-read']);
    expect(check([put(100, 1), get(undefined)], finalOf([100, 1]))).toEqual(['lww-stale-read']);
    // ...but not when quorums are not strict, either op was sloppy, or the write ran under another ring
    expect(check([put(100, 1), put(200, 2), get(100, 1)], finalOf([200, 2]), { strictQuorums: false })).toEqual([]);
    expect(check([put(100, 1), put(200, 2, { sloppy: true }), get(100, 1)], finalOf([200, 2]))).toEqual([]);
    expect(check([put(100, 1), put(200, 2), get(100, 1, { sloppy: true })], finalOf([200, 2]))).toEqual([]);
    expect(check([put(100, 1), put(200, 2, { ringEpoch: 2 }), get(100, 1)], finalOf([200, 2]))).toEqual([]);
  });

  it('lets a read find nothing after an acknowledged delete, or a newer one', () => {
    expect(check([put(100, 1), del(200, 2), get(undefined)], finalOf([200, 2, true]))).toEqual([]);
  });

  it('flags more than one version in a replica or a read (lww-siblings)', () => {
    expect(check([put(100, 1), put(200, 2)], finalOf([100, 1], [200, 2]))).toContain('lww-siblings');
    expect(check([put(100, 1), get(100, 1, { readSiblings: 2 })], finalOf([100, 1]))).toEqual(['lww-siblings']);
  });

  it('still flags replicas that differ (divergent)', () => {
    const final = finalOf([200, 2]);
    const replicas = new Map(final.replicas);
    replicas.set('n3', finalOf([100, 1]).replicas.get('n3'));
    expect(check([put(100, 1), put(200, 2)], { key, replicas })).toEqual(['divergent']);
  });

  it('lets a write made after a delete whose tombstone was collected win with an older stamp (seed 110162)', () => {
    // the clock stepped back between the delete (stamped 200) and the later put (stamped 100)
    const collected = emptyDots(); // the record no longer holds the delete's dot
    const withTombstone = dotsAdd(emptyDots(), dot(2));
    const ops = (context: typeof collected): HistoryOp[] => [put(150, 1), del(200, 2), put(100, 3), get(100, 3, { readContext: dotsAdd(context, dot(3)) })];
    expect(check(ops(collected), finalOf([100, 3]))).toEqual([]);
    // ...but not while the tombstone is still there: then the delete is newer and must win
    expect(check(ops(withTombstone), finalOf([100, 3]))).toContain('lww-stale-read');
  });
});
