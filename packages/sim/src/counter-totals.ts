/** Sums of PN-counter states and of increments, for the counter checkers. */
import { counterStateOf, type KvRecord, type PnCounter } from '@ringkv/core';
import type { CounterTotals, HistoryOp } from './history.js';

/** Summed totals of one counter state (0/0 when there is none). */
export function totalsOfState(state: PnCounter | undefined): CounterTotals {
  let p = 0;
  let n = 0;
  for (const e of state?.entries ?? []) {
    p += e.p;
    n += e.n;
  }
  return { p, n };
}

/** Summed totals of the join of the records' counter states (0/0 when none holds an increment). */
export function totalsOf(records: Iterable<KvRecord | undefined>): CounterTotals {
  return totalsOfState(counterStateOf(records));
}

/** The totals of the increments in `ops`. */
export function sumDeltas(ops: readonly HistoryOp[]): CounterTotals {
  let p = 0;
  let n = 0;
  for (const o of ops) {
    const d = o.delta ?? 0;
    if (d > 0) p += d;
    else n -= d;
  }
  return { p, n };
}

export const showTotals = (t: CounterTotals): string => `p=${t.p} n=${t.n}`;
