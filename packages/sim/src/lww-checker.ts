/**
 * What the simulator checks of last-writer-wins keys (workload.ts's LWW
 * keys; the node's rules are core/lww.ts). Their versions are totally
 * ordered by (writtenAt, dot), and every merge keeps only the greatest, so
 * the sibling rules (a write survives unless a context covered it) do not
 * apply: a concurrent write is dropped by design. What must hold instead:
 * - lww-lost-write: at the end the key holds a version at least as new, in
 *   that order, as every acknowledged write — or nothing, when a delete or an
 *   expired TTL put at least as new erased it;
 * - lww-stale-read: a strict read returns a version at least as new as every
 *   write it must see (checker.ts's mustSee), or nothing when one erased it;
 * - lww-siblings: a replica or a read holds at most one version.
 * Divergence and expired reads are checked as for every key (checker.ts).
 *
 * One documented hole is exempted (README "Conflict policy"): a replica that
 * purged an expired TTL version before it met an older concurrent version
 * keeps only the dot of the newer one, and the older version wins there. So
 * when a TTL put that may be newer than the write in question may have
 * expired, an older result is not counted.
 */
import { compareDots, dotsHas, resolveLww, type Dot, type Dots, type KvRecord } from '@ringkv/core';
import { mayBeLostWithDisk, mayHaveExpired, mustSee, type CheckOptions, type Violation } from './checker.js';
import type { HistoryOp } from './history.js';

/** A version's place in the LWW order. */
interface Stamp {
  readonly writtenAt: number;
  readonly dot: Dot;
}

const order = (a: Stamp, b: Stamp): number => a.writtenAt - b.writtenAt || compareDots(a.dot, b.dot);
const show = (s: Stamp): string => `${s.dot.actor}:${s.dot.counter}@${s.writtenAt}`;

type Acked = HistoryOp & { readonly dot: Dot; readonly writtenAt: number };
const isAcked = (o: HistoryOp): o is Acked => o.kind !== 'get' && o.outcome === 'ok' && o.dot !== undefined && o.writtenAt !== undefined;

/** Newer than `a` in the LWW order, or of unknown stamp (its outcome is unknown). */
const mayBeNewer = (x: HistoryOp, a: Acked): boolean =>
  x.outcome !== 'fail' && (x.dot === undefined || x.writtenAt === undefined || order(x as Acked, a) > 0);

export function checkLwwKey(keyOps: readonly HistoryOp[], key: string, end: KvRecord | undefined, opts: CheckOptions, out: Violation[]): void {
  const endedAt = opts.endedAt ?? Infinity;
  const writes = keyOps.filter((o) => o.kind === 'put' || o.kind === 'del');
  // a w=1 write whose only replica may have lost its disk since need not survive (checker.ts)
  const acked = writes.filter(isAcked).filter((a) => !mayBeLostWithDisk(a, opts));
  /** `a` is gone by time t without loss: it, or a newer write, was a delete or a TTL put that may have expired. */
  const erased = (a: Acked, t: number): boolean =>
    a.kind === 'del' ||
    mayHaveExpired(a, t, opts) ||
    writes.some((x) => x !== a && mayBeNewer(x, a) && (x.kind === 'del' || mayHaveExpired(x, t, opts)));
  /** the TTL hole above: `a`, or a TTL put newer than it (or of unknown stamp), is a TTL put that may have expired by t */
  const ttlHole = (a: Acked, t: number): boolean => writes.some((x) => (x === a || mayBeNewer(x, a)) && mayHaveExpired(x, t, opts));

  /**
   * A collected tombstone orders nothing: once a delete's tombstone is gone from a record (its dot is
   * no longer in the history), a write made after it is stamped without regard to it and may carry
   * an older stamp — after a clock stepped back (simulator seed 110162, --quorum 2,1,2). Shown such a
   * later version instead of the delete (or of what it superseded) is right, as after a collected
   * tombstone with siblings.
   */
  const laterThanCollected = (a: Acked, shown: Stamp, history: Dots | undefined): boolean => {
    const writer = writes.find((w) => w.dot !== undefined && w.dot.actor === shown.dot.actor && w.dot.counter === shown.dot.counter);
    if (writer === undefined) return false;
    // `a` itself, or an acknowledged delete at least as new that superseded it, was collected before `shown` was written
    return acked.some(
      (d) => d.kind === 'del' && (d === a || order(d, a) >= 0) && !(history !== undefined && dotsHas(history, d.dot)) && writer.invokedAt > (d.completedAt ?? Infinity),
    );
  };
  const top = acked.reduce<Acked | undefined>((m, a) => (m === undefined || order(a, m) > 0 ? a : m), undefined);
  const newestAtEnd = end === undefined ? undefined : resolveLww(end).siblings[0];
  if ((end?.siblings.length ?? 0) > 1) {
    out.push({ property: 'lww-siblings', key, detail: `${end?.siblings.length} versions at the end` });
  }
  if (top !== undefined) {
    if (newestAtEnd === undefined) {
      if (!erased(top, endedAt)) out.push({ property: 'lww-lost-write', key, detail: `op ${top.id} (${top.kind} ${top.value ?? ''} ${show(top)}) is the newest acknowledged write, but the key is empty at the end and nothing newer erased it` });
    } else if (order(newestAtEnd, top) < 0 && !ttlHole(top, endedAt) && !laterThanCollected(top, newestAtEnd, end?.history)) {
      out.push({ property: 'lww-lost-write', key, detail: `the key holds ${show(newestAtEnd)} at the end, older than op ${top.id} (${top.kind} ${top.value ?? ''} ${show(top)}), acknowledged` });
    }
  }

  for (const r of keyOps) {
    if (r.kind !== 'get' || r.outcome !== 'ok') continue;
    if ((r.readSiblings ?? 0) > 1) out.push({ property: 'lww-siblings', key, detail: `get op ${r.id} returned ${r.readSiblings} versions` });
    if (r.sloppy !== false) continue;
    const t = r.completedAt ?? Infinity;
    for (const a of acked) {
      // a sloppy write's stand-ins are not the read's replicas: only hinted handoff brings it there
      if (a.sloppy !== false || !mustSee(a, r, opts)) continue;
      const got = r.readNewest;
      if (got === undefined ? erased(a, t) : order(got, a) >= 0 || ttlHole(a, t) || laterThanCollected(a, got, r.readContext)) continue;
      out.push({
        property: 'lww-stale-read',
        key,
        detail: `get op ${r.id} returned ${got === undefined ? 'nothing' : show(got)}, older than op ${a.id} (${a.kind} ${a.value ?? ''} ${show(a)}) acknowledged before it began`,
      });
    }
  }
}
