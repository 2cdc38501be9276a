import { dotsAdd, dotsFromVersionVector, emptyDots, type Dot, type Dots, type KvRecord } from '@ringkv/core';
import { describe, expect, it } from 'vitest';
import { checkHistory, type FinalKeyState } from './checker.js';
import type { HistoryOp } from './history.js';

/**
 * Hand-made histories for the read check (stale-read), the one with the
 * subtlest rule: a collected tombstone takes its dots, and the dots of the
 * values it replaced, out of every later context.
 */
let t = 0;
const op = (o: Partial<HistoryOp> & Pick<HistoryOp, 'kind'>): HistoryOp => {
  t += 10;
  return { id: t, client: 0, node: 'n1', key: 'k', invokedAt: t, completedAt: t + 5, outcome: 'ok', sloppy: false, ringEpoch: 1, ...o };
};
const dot = (actor: string, counter: number): Dot => ({ actor, counter });
const ctx = (vv: Record<string, number>): Dots => dotsFromVersionVector(vv);
const read = (values: string[], context: Dots): HistoryOp => op({ kind: 'get', readValues: values, readContext: context });
const finalOf = (value: string, d: Dot): FinalKeyState => {
  const rec: KvRecord = { history: dotsAdd(emptyDots(), d), siblings: [{ dot: d, value: new TextEncoder().encode(value), contentType: 'text/plain', writtenAt: 0 }] };
  return { key: 'k', replicas: new Map([['n1', rec], ['n2', rec], ['n3', rec]]) };
};
const staleReads = (ops: HistoryOp[], final: FinalKeyState): string[] =>
  checkHistory(ops, [final], { strictQuorums: true, clients: 2 })
    .filter((v) => v.property === 'stale-read')
    .map((v) => v.detail);

describe('checkHistory: reads after a delete whose tombstone may be collected', () => {
  const a1 = dot('a', 1);
  const a2 = dot('a', 2);
  const a3 = dot('a', 3);
  const history = (after: () => HistoryOp): HistoryOp[] => [
    op({ kind: 'put', value: 'v1', dot: a1 }),
    op({ kind: 'del', dot: a2, contextIn: ctx({ a: 1 }) }),
    // a write without a context after the tombstone was collected starts a fresh history: dot a3 alone
    op({ kind: 'put', value: 'v3', dot: a3 }),
    after(),
  ];

  it('passes a read that shows the deletion but not the collected dots', () => {
    const fresh = dotsAdd(emptyDots(), a3);
    expect(staleReads(history(() => read(['v3'], fresh)), finalOf('v3', a3))).toEqual([]);
  });

  it('flags a read that returns the value the delete replaced', () => {
    const fresh = dotsAdd(emptyDots(), a3);
    const bad = staleReads(history(() => read(['v1', 'v3'], dotsAdd(fresh, a1))), finalOf('v3', a3));
    expect(bad.some((d) => d.includes('(a:2)'))).toBe(true);
  });

  it('flags a read that misses a write no delete replaced', () => {
    const ops = [op({ kind: 'put', value: 'v1', dot: a1 }), op({ kind: 'put', value: 'v2', dot: a2, contextIn: ctx({ a: 1 }) }), read(['v1'], ctx({ a: 1 }))];
    expect(staleReads(ops, finalOf('v2', a2))).toHaveLength(1);
  });

  it('flags a read that misses a write made after the delete', () => {
    const ops = history(() => read([], ctx({ a: 2 })));
    expect(staleReads(ops, finalOf('v3', a3)).some((d) => d.includes('(a:3)'))).toBe(true);
  });
});
