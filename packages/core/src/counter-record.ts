/**
 * Reading a counter out of a replicated record: each sibling is one replica's
 * PN state, so the counter is the join of them all — siblings of a counter
 * never need resolving by a user.
 */
import type { KvRecord } from './record.js';
import { decodePn, joinPn, pnCounterContentType, type PnCounter } from './pn-counter.js';

/** The join of every counter sibling of the records (undefined: no increment seen). Garbage throws PnCounterFormatError. */
export function counterStateOf(records: Iterable<KvRecord | undefined>): PnCounter | undefined {
  let state: PnCounter | undefined;
  for (const rec of records) {
    for (const s of rec?.siblings ?? []) {
      if (s.value === null || s.contentType !== pnCounterContentType) continue;
      state = joinPn(state, decodePn(s.value));
    }
  }
  return state;
}
