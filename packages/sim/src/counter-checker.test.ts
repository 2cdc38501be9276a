import { dotsAdd, emptyDots, encodePn, incrementPn, pnCounterContentType, type KvRecord, type PnCounter } from '@ringkv/core';
import { describe, expect, it } from 'vitest';
import type { FinalKeyState } from './checker.js';
import { checkCounters } from './counter-checker.js';
import { totalsOf } from './counter-totals.js';
import type { HistoryOp } from './history.js';

/** Hand-made counter histories: each property must flag what it is for and pass what is fine. */
let t = 0;
const op = (o: Partial<HistoryOp> & Pick<HistoryOp, 'kind'>): HistoryOp => {
  t += 10;
  return { id: t, client: 0, node: 'n1', key: '#n0', invokedAt: t, completedAt: t + 5, outcome: 'ok', sloppy: false, ringEpoch: 1, ...o };
};
const incr = (delta: number, extra: Partial<HistoryOp> = {}): HistoryOp => op({ kind: 'incr', delta, ...extra });
const cget = (p: number, n: number, extra: Partial<HistoryOp> = {}): HistoryOp => op({ kind: 'cget', readTotals: { p, n }, ...extra });

/** A record holding one PN state built from `deltas`, all by actor a (dots 1, 2, …). */
function recordOf(deltas: readonly number[]): KvRecord | undefined {
  let state: PnCounter | undefined;
  deltas.forEach((delta, i) => {
    state = incrementPn(state, { actor: 'a', dot: i + 1, delta, now: 0 });
  });
  if (state === undefined) return undefined;
  const dot = { actor: 'a', counter: deltas.length };
  return { history: dotsAdd(emptyDots(), dot), siblings: [{ dot, value: encodePn(state), contentType: pnCounterContentType, writtenAt: 0 }] };
}
const finalOf = (...perReplica: (readonly number[])[]): FinalKeyState => ({
  key: '#n0',
  replicas: new Map(perReplica.map((deltas, i) => [`n${i + 1}`, recordOf(deltas)])),
});
const check = (ops: HistoryOp[], final: FinalKeyState, strictQuorums = true): string[] =>
  checkCounters(ops, [final], { strictQuorums }).map((v) => v.property);

describe('checkCounters', () => {
  it('sums a state into its positive and negative totals', () => {
    expect(totalsOf([recordOf([3, -2, 4, -1])])).toEqual({ p: 7, n: 3 });
    expect(totalsOf([undefined])).toEqual({ p: 0, n: 0 });
  });

  it('passes a history whose end state holds exactly the acknowledged increments', () => {
    const ops = [incr(3), incr(-2), cget(3, 2), incr(4)];
    expect(check(ops, finalOf([3, -2, 4], [3, -2, 4], [3, -2, 4]))).toEqual([]);
  });

  it('flags an acknowledged increment missing at the end (counter-lost), on either total', () => {
    expect(check([incr(3), incr(4)], finalOf([3], [3], [3]))).toContain('counter-lost');
    expect(check([incr(3), incr(-4)], finalOf([3], [3], [3]))).toContain('counter-lost');
  });

  it('counts an increment of unknown outcome as possibly applied, never as required', () => {
    const ops = [incr(3), incr(5, { outcome: 'info' })];
    expect(check(ops, finalOf([3], [3], [3]))).toEqual([]);
    expect(check(ops, finalOf([3, 5], [3, 5], [3, 5]))).toEqual([]);
  });

  it('flags an increment counted twice (counter-overcount), and a failed one that counted', () => {
    expect(check([incr(3), incr(4)], finalOf([3, 4, 4], [3, 4, 4], [3, 4, 4]))).toContain('counter-overcount');
    expect(check([incr(3), incr(4, { outcome: 'fail' })], finalOf([3, 4], [3, 4], [3, 4]))).toContain('counter-overcount');
  });

  it('flags replicas that end with different states (counter-divergent)', () => {
    expect(check([incr(3), incr(4)], finalOf([3, 4], [3, 4], [3]))).toEqual(['counter-divergent']);
  });

  it('flags a strict read below the increments acknowledged before it began (counter-stale-read)', () => {
    const ops = [incr(3), incr(-1), cget(3, 0)];
    expect(check(ops, finalOf([3, -1], [3, -1], [3, -1]))).toEqual(['counter-stale-read']);
    // ...but not when quorums are not strict, the read was sloppy, or the increment was sloppy or under another ring
    expect(check(ops, finalOf([3, -1], [3, -1], [3, -1]), false)).toEqual([]);
    expect(check([incr(3), incr(-1), cget(3, 0, { sloppy: true })], finalOf([3, -1], [3, -1], [3, -1]))).toEqual([]);
    expect(check([incr(3), incr(-1, { sloppy: true }), cget(3, 0)], finalOf([3, -1], [3, -1], [3, -1]))).toEqual([]);
    expect(check([incr(3), incr(-1, { ringEpoch: 2 }), cget(3, 0)], finalOf([3, -1], [3, -1], [3, -1]))).toEqual([]);
  });

  it('does not ask a read for increments still running when it began', () => {
    const running = incr(5);
    const read = cget(0, 0);
    running.completedAt = read.invokedAt + 1;
    expect(check([running, read], finalOf([5], [5], [5]))).toEqual([]);
  });
});
