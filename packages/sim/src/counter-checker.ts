/**
 * What the simulator checks of PN-counters (workload.ts's incr/cget ops).
 *
 * A counter's state only grows: every increment raises one entry's positive
 * (p) or negative (n) total, and the join keeps each entry's maximum. So the
 * summed totals bound what happened without naming single increments:
 * - counter-lost: at the end, p and n are at least the sums of the
 *   acknowledged increments (nothing acknowledged was dropped);
 * - counter-overcount: at most the sums of every increment that may have
 *   counted (acknowledged or unknown): none was applied twice, e.g. a
 *   forwarded increment delivered twice;
 * - counter-divergent: every replica holds the same state after healing;
 * - counter-stale-read: with strict quorums, a read's totals are at least
 *   those of the increments acknowledged by primaries under the same ring
 *   before it began (a read that held them all would sum at least that much).
 */
import { mayBeLostWithDisk, mustSee, type CheckOptions, type FinalKeyState, type Violation } from './checker.js';
import { showTotals, sumDeltas, totalsOf } from './counter-totals.js';
import type { HistoryOp } from './history.js';
import { checkWindowCounter } from './window-checker.js';

/** The history's name of counter `i` ('#' keeps it apart from the /kv keys k0, k1, …). */
export function counterKeyName(i: number): string {
  return `#n${i}`;
}

/** The history's name of rate-limit window counter `i`. */
export function windowKeyName(i: number): string {
  return `#w${i}`;
}

const isWindowKey = (name: string): boolean => name.startsWith('#w');

export function checkCounters(ops: readonly HistoryOp[], finals: readonly FinalKeyState[], opts: Pick<CheckOptions, 'strictQuorums' | 'quorums' | 'clockPeakBy' | 'endedAt' | 'diskLossAt' | 'copiesLostAt'>): Violation[] {
  const out: Violation[] = [];
  for (const final of finals) {
    const keyOps = ops.filter((o) => o.key === final.key);
    if (isWindowKey(final.key)) {
      checkWindowCounter(keyOps, final, opts, out);
      continue;
    }
    const increments = keyOps.filter((o) => o.kind === 'incr');
    const perReplica = [...final.replicas].map(([node, rec]) => ({ node, totals: totalsOf([rec]) }));
    const first = perReplica[0];
    for (const r of perReplica) {
      if (first !== undefined && (r.totals.p !== first.totals.p || r.totals.n !== first.totals.n)) {
        out.push({ property: 'counter-divergent', key: final.key, detail: `replica ${r.node} holds ${showTotals(r.totals)}, replica ${first.node} ${showTotals(first.totals)}` });
      }
    }
    const end = totalsOf(final.replicas.values());
    // an increment acknowledged by one replica whose disk may have gone since may be missing, never counted twice
    const acked = sumDeltas(increments.filter((o) => o.outcome === 'ok' && !mayBeLostWithDisk(o, opts)));
    const possible = sumDeltas(increments.filter((o) => o.outcome === 'ok' || o.outcome === 'info' || o.outcome === 'pending'));
    if (end.p < acked.p || end.n < acked.n) {
      out.push({ property: 'counter-lost', key: final.key, detail: `the end state holds ${showTotals(end)}, acknowledged increments add up to ${showTotals(acked)}` });
    }
    if (end.p > possible.p || end.n > possible.n) {
      out.push({ property: 'counter-overcount', key: final.key, detail: `the end state holds ${showTotals(end)}, every increment that may have counted adds up to ${showTotals(possible)}` });
    }
    checkCounterReads(keyOps, final.key, opts, out);
  }
  return out;
}

/** As checker.ts's checkReads: a read must count every non-sloppy increment it must see (mustSee). */
function checkCounterReads(keyOps: readonly HistoryOp[], key: string, opts: Pick<CheckOptions, 'strictQuorums' | 'quorums'>, out: Violation[]): void {
  const acked = keyOps.filter((o) => o.kind === 'incr' && o.outcome === 'ok' && o.sloppy === false);
  for (const r of keyOps) {
    if (r.kind !== 'cget' || r.outcome !== 'ok' || r.sloppy !== false || r.readTotals === undefined) continue;
    const before = acked.filter((w) => mustSee(w, r, opts));
    const needed = sumDeltas(before);
    if (r.readTotals.p < needed.p || r.readTotals.n < needed.n) {
      out.push({ property: 'counter-stale-read', key, detail: `cget op ${r.id} read ${showTotals(r.readTotals)}, but the ${before.length} increments acknowledged before it began add up to ${showTotals(needed)}` });
    }
  }
}
