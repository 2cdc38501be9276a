import { dotsAdd, emptyDots, encodePn, incrementPn, pnCounterContentType, type KvRecord, type PnCounter } from '@ringkv/core';
import { describe, expect, it } from 'vitest';
import type { FinalKeyState } from './checker.js';
import { checkCounters } from './counter-checker.js';
import type { HistoryOp } from './history.js';

/** Hand-made histories of one rate-limit window counter: each property must flag what it is for and pass what is fine. */
let t = 0;
const op = (o: Partial<HistoryOp> & Pick<HistoryOp, 'kind'>): HistoryOp => {
  t += 10;
  return { id: t, client: 0, node: 'n1', key: '#w0', invokedAt: t, completedAt: t + 5, outcome: 'ok', sloppy: false, ringEpoch: 1, ...o };
};
const incr = (delta: number, windowEnd: number, extra: Partial<HistoryOp> = {}): HistoryOp => op({ kind: 'incr', delta, ttlMs: 1000, windowEnd, ...extra });
const cget = (p: number, readWindowEnd: number | undefined, extra: Partial<HistoryOp> = {}): HistoryOp =>
  op({ kind: 'cget', readTotals: { p, n: 0 }, ...(readWindowEnd !== undefined && { readWindowEnd }), ...extra });

/** A record of one window ending at `end` (started at end - 1000) holding `deltas`, by actor a. */
function windowRecord(end: number, deltas: readonly number[]): KvRecord | undefined {
  let state: PnCounter | undefined;
  deltas.forEach((delta, i) => {
    state = incrementPn(state, { actor: 'a', dot: i + 1, delta, now: end - 1000, ttlMs: 1000 });
  });
  if (state === undefined) return undefined;
  const dot = { actor: 'a', counter: deltas.length };
  return { history: dotsAdd(emptyDots(), dot), siblings: [{ dot, value: encodePn(state), contentType: pnCounterContentType, writtenAt: end - 1000, expiresAt: end }] };
}
const finalOf = (...perReplica: (KvRecord | undefined)[]): FinalKeyState => ({ key: '#w0', replicas: new Map(perReplica.map((rec, i) => [`n${i + 1}`, rec])) });
// Node clocks in these histories: the highest reading by simulated time x is 1000 + x.
const check = (ops: HistoryOp[], final: FinalKeyState, endedAt = 500): string[] =>
  checkCounters(ops, [final], { strictQuorums: true, clockPeakBy: (x) => 1000 + x, endedAt }).map((v) => `${v.property}: ${v.detail}`);

describe('checkCounters on rate-limit windows', () => {
  it('passes increments that a later window displaced, and reads of either window', () => {
    t = 0;
    const ops = [incr(2, 5000), cget(2, 5000), incr(3, 6000), cget(3, 6000), incr(1, 6000)];
    expect(check(ops, finalOf(windowRecord(6000, [3, 1]), windowRecord(6000, [3, 1]), windowRecord(6000, [3, 1])))).toEqual([]);
  });

  it('flags an increment acknowledged in the last window and missing from it', () => {
    t = 0;
    const ops = [incr(3, 6000), incr(1, 6000)];
    const rec = windowRecord(6000, [3]);
    expect(check(ops, finalOf(rec, rec, rec))).toEqual([expect.stringMatching(/^counter-lost/)]);
  });

  it('flags a window counting more than could have counted in it', () => {
    t = 0;
    const ops = [incr(3, 6000), incr(1, 6000, { outcome: 'info' })];
    const fine = windowRecord(6000, [3, 1]);
    expect(check(ops, finalOf(fine, fine, fine))).toEqual([]);
    const over = windowRecord(6000, [3, 1, 2]);
    expect(check(ops, finalOf(over, over, over))).toEqual([expect.stringMatching(/^counter-overcount/)]);
  });

  it('flags replicas holding different windows, unless a clock has seen the one they differ in end', () => {
    t = 0;
    const ops = [incr(3, 6000)];
    const rec = windowRecord(6000, [3]);
    expect(check(ops, finalOf(rec, rec, undefined)).filter((v) => v.startsWith('counter-divergent'))).toHaveLength(1);
    expect(check(ops, finalOf(rec, rec, undefined), 5000)).toEqual([]);
  });

  it('flags a read that misses a later window an acknowledged increment counted in', () => {
    t = 0;
    const ops = [incr(2, 5000), incr(3, 6000), cget(2, 5000)];
    const rec = windowRecord(6000, [3]);
    expect(check(ops, finalOf(rec, rec, rec))).toEqual([expect.stringMatching(/^counter-stale-read: cget op 30 read the window ending 5000, but op 20/)]);
  });

  it('passes such a read once some clock had passed that window\'s end', () => {
    t = 0;
    // the window ends at 1025: by the read's end (time 35) the highest clock read 1035
    const ops = [incr(3, 1025), cget(0, undefined)];
    expect(check(ops, finalOf(undefined, undefined, undefined))).toEqual([]);
  });

  it('flags a read of the right window that counts less than was acknowledged in it before', () => {
    t = 0;
    const ops = [incr(2, 6000), incr(3, 6000), cget(2, 6000)];
    const rec = windowRecord(6000, [2, 3]);
    expect(check(ops, finalOf(rec, rec, rec))).toEqual([expect.stringMatching(/^counter-stale-read: cget op 30 read p=2 n=0 in the window ending 6000/)]);
  });

  it('flags a read of a window its coordinator\'s clock said had ended', () => {
    t = 0;
    const ops = [incr(2, 6000), cget(2, 6000, { readerClock: 6000 }), cget(2, 6000, { readerClock: 5999 })];
    const rec = windowRecord(6000, [2]);
    expect(check(ops, finalOf(rec, rec, rec))).toEqual([expect.stringMatching(/^counter-expired-read: cget op 20/)]);
  });
});
