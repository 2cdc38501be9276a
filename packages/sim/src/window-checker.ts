/**
 * What the simulator checks of rate-limit windows: PN-counters incremented
 * with ?ttl (workload.ts's windowed incr/cget ops).
 *
 * A window's end is fixed by the increment that starts it; from then on its
 * counts only grow, and in a join the later window wins whole. Two
 * increments that start windows concurrently keep only the later window's
 * count — by design — so the checks are per window, named by its end, as
 * each acknowledged increment reports it:
 * - counter-divergent: replicas hold the same window and totals after
 *   healing (compared once what the highest clock so far has seen expire
 *   is purged: a replica whose clock is ahead purges a window first);
 * - counter-lost / counter-overcount: the window left at the end holds at
 *   least the increments acknowledged in it, and at most those plus every
 *   increment whose outcome is unknown;
 * - counter-stale-read: with strict quorums, a read sees every window that
 *   an increment acknowledged before it began counted in, unless a later
 *   window displaced it or some clock had passed its end (it may be purged
 *   anywhere from then on); and when it reads that very window, it counts
 *   those increments;
 * - counter-expired-read: no read returns a window its coordinator's clock
 *   said had ended when the read began.
 */
import { counterStateOf, joinAllPn, type PnCounter } from '@ringkv/core';
import { clockPeak, mayBeLostWithDisk, mustSee, settledAt, type CheckOptions, type FinalKeyState, type Violation } from './checker.js';
import { showTotals as show, sumDeltas, totalsOfState } from './counter-totals.js';
import type { HistoryOp } from './history.js';

/** A window state in one line, to compare and to show. */
const describe = (s: PnCounter | undefined): string => (s === undefined ? 'no window' : `the window ending ${String(s.windowEnd)} with ${show(totalsOfState(s))}`);

type WindowCheckOptions = Pick<CheckOptions, 'strictQuorums' | 'quorums' | 'clockPeakBy' | 'endedAt' | 'diskLossAt' | 'copiesLostAt'>;

export function checkWindowCounter(keyOps: readonly HistoryOp[], final: FinalKeyState, opts: WindowCheckOptions, out: Violation[]): void {
  const key = final.key;
  const peak = clockPeak(opts, opts.endedAt ?? Infinity);
  const held = [...final.replicas].map(([node, rec]) => ({ node, state: counterStateOf([settledAt(rec, peak)]) }));
  const first = held[0];
  for (const r of held) {
    if (first !== undefined && describe(r.state) !== describe(first.state)) {
      out.push({ property: 'counter-divergent', key, detail: `replica ${r.node} holds ${describe(r.state)}, replica ${first.node} ${describe(first.state)}` });
    }
  }
  const increments = keyOps.filter((o) => o.kind === 'incr');
  const end = joinAllPn(held.map((h) => h.state));
  if (end !== undefined) {
    const window = end.windowEnd;
    const totals = totalsOfState(end);
    const lostWithDisk = (o: HistoryOp): boolean => mayBeLostWithDisk(o, opts);
    const acked = sumDeltas(increments.filter((o) => o.outcome === 'ok' && o.windowEnd === window && !lostWithDisk(o)));
    const unknown = sumDeltas(increments.filter((o) => o.outcome === 'info' || o.outcome === 'pending' || (o.outcome === 'ok' && o.windowEnd === window && lostWithDisk(o))));
    if (totals.p < acked.p || totals.n < acked.n) {
      out.push({ property: 'counter-lost', key, detail: `window ending ${String(window)} holds ${show(totals)} at the end, increments acknowledged in it add up to ${show(acked)}` });
    }
    if (totals.p > acked.p + unknown.p || totals.n > acked.n + unknown.n) {
      out.push({ property: 'counter-overcount', key, detail: `window ending ${String(window)} holds ${show(totals)}, the increments that may have counted in it add up to ${show({ p: acked.p + unknown.p, n: acked.n + unknown.n })}` });
    }
  }
  for (const r of keyOps) {
    if (r.kind !== 'cget' || r.outcome !== 'ok' || r.readTotals === undefined) continue;
    if (r.readerClock !== undefined && r.readWindowEnd !== undefined && r.readWindowEnd <= r.readerClock) {
      out.push({ property: 'counter-expired-read', key, detail: `cget op ${r.id} read the window ending ${r.readWindowEnd}, its coordinator's clock read ${r.readerClock} when it began` });
    }
    if (r.sloppy === false) checkWindowRead(r, increments, opts, key, out);
  }
}

function checkWindowRead(r: HistoryOp, increments: readonly HistoryOp[], opts: WindowCheckOptions, key: string, out: Violation[]): void {
  // No clock had passed these windows' ends by the time the read ended: nothing of them can have been purged.
  const peak = clockPeak(opts, r.completedAt ?? Infinity);
  const before = increments.filter((w) => w.outcome === 'ok' && w.sloppy === false && w.windowEnd !== undefined && w.windowEnd > peak && mustSee(w, r, opts));
  const read = r.readWindowEnd;
  const missed = before.find((w) => read === undefined || (w.windowEnd ?? 0) > read);
  if (missed !== undefined) {
    out.push({ property: 'counter-stale-read', key, detail: `cget op ${r.id} read ${read === undefined ? 'no window' : `the window ending ${read}`}, but op ${missed.id} was acknowledged in the later window ending ${String(missed.windowEnd)} before it began` });
    return;
  }
  const needed = sumDeltas(before.filter((w) => w.windowEnd === read));
  const got = r.readTotals ?? { p: 0, n: 0 };
  if (got.p < needed.p || got.n < needed.n) {
    out.push({ property: 'counter-stale-read', key, detail: `cget op ${r.id} read ${show(got)} in the window ending ${String(read)}, but the increments acknowledged in it before it began add up to ${show(needed)}` });
  }
}
