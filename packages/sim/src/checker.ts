import { dotsActors, dotsHas, dotsMaxCounter, purgeExpired, recordEquals, type Dot, type Dots, type KvRecord } from '@ringkv/core';
import type { HistoryOp } from './history.js';
import { checkLwwKey } from './lww-checker.js';

/** What every replica of one key holds at the end of a run, after healing. */
export interface FinalKeyState {
  readonly key: string;
  /** replica node id → its record (undefined = holds nothing) */
  readonly replicas: ReadonlyMap<string, KvRecord | undefined>;
}

export interface CheckOptions {
  /** W + R > N and only primaries answered: reads must see every earlier acknowledged write */
  readonly strictQuorums: boolean;
  /**
   * The cluster's N and default R and W. With it, whether a read must see a
   * write is judged per pair, from the quorums the two were sent with
   * (HistoryOp.quorum); without it, strictQuorums decides for every pair.
   */
  readonly quorums?: { readonly n: number; readonly r: number; readonly w: number };
  readonly clients: number;
  /**
   * The highest node clock reading up to a simulated time
   * (SimCluster.clockPeakBy): from the moment it passes a TTL'd version's
   * deadline, some node may have judged the version expired and purged it.
   * Absent: no deadline ever passed.
   */
  readonly clockPeakBy?: (t: number) => number;
  /** simulated time of the final states */
  readonly endedAt?: number;
  /** keys under the last-writer-wins policy, checked by its rules (lww-checker.ts) instead of the sibling rules */
  readonly lwwKey?: (key: string) => boolean;
  /** simulated times at which a node lost its disk (the diskLoss fault) */
  readonly diskLossAt?: readonly number[];
  /** when (simulated epoch ms) a stored copy of a key was damaged (the corruption fault): a copy lost, like a disk */
  readonly copiesLostAt?: readonly { readonly key: string; readonly at: number }[];
}

/**
 * Whether an acknowledged write may have been lost with the copies that held
 * it: at least as many copies were lost after it began (and before `by`) as
 * acknowledged it — a node's whole disk (any node: it may have been a replica)
 * or a damaged copy of the key. A w=1 write taken as a hint on a partitioned
 * fallback whose disk went 0.2–0.4 s later (simulator seeds 100334, 100506); a
 * w=1 hint delivered to n1, whose copy was damaged before anti-entropy spread it
 * (seed 24 of corruption.test.ts with per-op quorums); at N=W=2 one replica's
 * disk lost and the other's copy damaged before the first had recovered it
 * (seed 180326). A run loses at most one disk, so w ≥ 2 needs a damaged copy too.
 */
export function mayBeLostWithDisk(op: HistoryOp, opts: Pick<CheckOptions, 'quorums' | 'diskLossAt' | 'copiesLostAt'>, by = Infinity): boolean {
  const copies = op.quorum ?? opts.quorums?.w;
  if (copies === undefined) return false;
  const within = (t: number): boolean => t >= op.invokedAt && t <= by;
  const losses = (opts.diskLossAt ?? []).filter(within).length + (opts.copiesLostAt ?? []).filter((c) => c.key === op.key && within(c.at)).length;
  return losses >= copies;
}

export interface Violation {
  readonly property:
    | 'lost-write'
    | 'resurrected'
    | 'divergent'
    | 'stale-read'
    | 'sibling-explosion'
    | 'expired-read'
    | 'lost-update'
    | 'node-error'
    | 'hint-undelivered'
    | 'transfers-stuck'
    | 'recovery-stuck'
    | 'counter-lost'
    | 'counter-overcount'
    | 'counter-divergent'
    | 'counter-stale-read'
    | 'counter-expired-read'
    | 'lww-lost-write'
    | 'lww-stale-read'
    | 'lww-siblings'
    | 'foreign-value';
  readonly key: string;
  readonly detail: string;
}

const dotName = (d: Dot): string => `${d.actor}:${d.counter}`;
const sameDot = (a: Dot, b: Dot): boolean => a.actor === b.actor && a.counter === b.counter;

/**
 * Whether a read must see a (non-sloppy) write: the W+R>N overlap holds
 * between a write acknowledged before the read began and the read, both
 * coordinated under the same ring (same epoch, unchanged while they ran),
 * when the quorums the two were sent with overlap.
 */
export function mustSee(write: HistoryOp, read: HistoryOp, opts: Pick<CheckOptions, 'strictQuorums' | 'quorums' | 'diskLossAt' | 'copiesLostAt'>): boolean {
  if ((write.completedAt ?? Infinity) >= read.invokedAt) return false;
  if (mayBeLostWithDisk(write, opts, read.completedAt ?? Infinity)) return false;
  if (write.ringEpoch === undefined || write.ringEpoch !== read.ringEpoch) return false;
  const q = opts.quorums;
  if (q === undefined) return opts.strictQuorums;
  return (write.quorum ?? q.w) + (read.quorum ?? q.r) > q.n;
}

/** The highest node clock reading by simulated time `t` (-Infinity when the checker was given no clocks). */
export function clockPeak(opts: Pick<CheckOptions, 'clockPeakBy'>, t: number): number {
  return opts.clockPeakBy?.(t) ?? -Infinity;
}

/** A final record with what had expired by clock reading `peak` purged (as every replica eventually does). */
export function settledAt(rec: KvRecord | undefined, peak: number): KvRecord | undefined {
  return rec === undefined ? rec : purgeExpired(rec, peak);
}

/**
 * The context a write superseded with: for a conditional write that passed
 * its check, the one it was sent with (the client's joined with its quorum
 * read's); otherwise the client's. Undefined: none.
 */
const supersedes = (w: HistoryOp): Dots | undefined => w.contextUsed ?? w.contextIn;
const covers = (w: HistoryOp, d: Dot): boolean => {
  const ctx = supersedes(w);
  return ctx !== undefined && dotsHas(ctx, d);
};

/**
 * Whether a put sent with ?ttl may have expired (and been purged) somewhere
 * by simulated time `t`: its deadline is at or below some node's clock by
 * then. An unknown deadline (the outcome is unknown) may have passed at any time.
 */
export function mayHaveExpired(op: HistoryOp, t: number, opts: Pick<CheckOptions, 'clockPeakBy'>): boolean {
  if (op.kind !== 'put' || op.ttlMs === undefined) return false;
  if (op.expiresAt === undefined) return true;
  return clockPeak(opts, t) >= op.expiresAt;
}

/**
 * Checks a finished history against the final replica states:
 * - lost-write: an acknowledged write that no later write's context covered must be a sibling at the end;
 * - resurrected: a write that an acknowledged write's context covered must not be a sibling at the end;
 * - divergent: all replicas of a key hold the same record;
 * - stale-read: with strict quorums, a read sees every write acknowledged before it began;
 * - sibling-explosion: never more live siblings than there are writers;
 * - expired-read: a read returns no value its coordinator's clock says has expired;
 * - lost-update: a conditional write passes only if no value its client had not read was live.
 * A put with a TTL may be gone once some node's clock passed its deadline
 * (purged: its dot stays, it is superseded), and so may what it replaced;
 * that is expiry, not loss — but what it replaced must never come back.
 */
/** Whether `history` holds a dot of a later generation (`node#epoch`, a larger epoch) of `actor`'s node. */
function laterGeneration(history: Dots, actor: string): boolean {
  const [node, epoch] = actor.split('#');
  return dotsActors(history).some((a) => {
    const [n, e] = a.split('#');
    return n === node && Number(e) > Number(epoch);
  });
}

/**
 * Property **foreign-value**: every value a read returned, and every value a
 * replica holds at the end, is one some client wrote to that key (the
 * workload never writes the same value twice). Catches bytes changed on the
 * way or at rest — a stored record the disk damaged that was served, repaired
 * from or spread by anti-entropy — which the dot-based checks cannot see: a
 * damaged value keeps its dot.
 */
export function checkValuesWritten(ops: readonly HistoryOp[], finals: readonly FinalKeyState[]): Violation[] {
  const violations: Violation[] = [];
  const written = new Set<string>();
  for (const op of ops) if (op.kind === 'put' && op.value !== undefined) written.add(`${op.key}\u0000${op.value}`);
  const dec = new TextDecoder();
  for (const op of ops) {
    for (const value of op.kind === 'get' ? (op.readValues ?? []) : []) {
      if (!written.has(`${op.key}\u0000${value}`)) violations.push({ property: 'foreign-value', key: op.key, detail: `get op ${op.id} read "${value.slice(0, 40)}", which no client wrote` });
    }
  }
  for (const final of finals) {
    for (const [node, held] of final.replicas) {
      for (const s of held?.siblings ?? []) {
        if (s.value === null) continue;
        const value = dec.decode(s.value);
        if (!written.has(`${final.key}\u0000${value}`)) violations.push({ property: 'foreign-value', key: final.key, detail: `replica ${node} holds "${value.slice(0, 40)}", which no client wrote` });
      }
    }
  }
  return violations;
}

export function checkHistory(ops: readonly HistoryOp[], finals: readonly FinalKeyState[], opts: CheckOptions): Violation[] {
  const violations: Violation[] = [];
  const endedAt = opts.endedAt ?? Infinity;
  // A version expired by one replica's clock and not yet by another's is purged at the first only, until
  // the next read repair or anti-entropy exchange carries the purge over (the replica whose clock is furthest
  // ahead decides): replicas are compared once everything expired by the highest clock so far is purged.
  const peakAtEnd = clockPeak(opts, endedAt);
  const byKey = new Map<string, HistoryOp[]>();
  for (const op of ops) {
    const list = byKey.get(op.key) ?? [];
    list.push(op);
    byKey.set(op.key, list);
  }
  violations.push(...checkValuesWritten(ops, finals));
  for (const final of finals) {
    const keyOps = byKey.get(final.key) ?? [];
    const records = [...final.replicas.values()];
    const first = records[0];
    // A collected tombstone and an uncollected one are the same state (deleted): GC runs per replica.
    const deletedOrAbsent = (r: KvRecord | undefined): boolean => r === undefined || r.siblings.every((s) => s.value === null);
    const head = settledAt(first, peakAtEnd);
    for (const [node, held] of final.replicas) {
      const rec = settledAt(held, peakAtEnd);
      const same =
        (deletedOrAbsent(rec) && deletedOrAbsent(head)) ||
        (rec !== undefined && head !== undefined && recordEquals(rec, head));
      if (!same) violations.push({ property: 'divergent', key: final.key, detail: `replica ${node} differs from the first replica` });
    }
    if (opts.lwwKey?.(final.key) === true) {
      checkLwwKey(keyOps, final.key, head, opts, violations);
      checkExpiredReads(keyOps, final.key, violations);
      continue;
    }
    const writes = keyOps.filter((o) => o.kind !== 'get');
    const coveredByAny = (d: Dot): boolean => writes.some((w) => covers(w, d));
    if (first === undefined) {
      // Absent everywhere: fine for deletes (their tombstones were collected), but every
      // acknowledged put must have been replaced by a later write.
      for (const op of writes) {
        if (op.outcome === 'ok' && op.kind === 'put' && op.dot !== undefined && !coveredByAny(op.dot) && !mayHaveExpired(op, endedAt, opts) && !mayBeLostWithDisk(op, opts)) {
          violations.push({ property: 'lost-write', key: final.key, detail: `op ${op.id} (put ${op.value ?? ''}) acknowledged and never replaced, key absent everywhere` });
        }
      }
      continue;
    }
    // An acknowledged write whose context covered the dot. One that may have been lost with its copies
    // replaced nothing for good: what it replaced may be back (seed 210073 with per-op quorums: a w=1
    // delete, taken as a hint and delivered to n4 alone, lost when n4's copy was damaged).
    const coveredByAcked = (d: Dot): HistoryOp | undefined =>
      writes.find((w) => w.outcome === 'ok' && covers(w, d) && !mayBeLostWithDisk(w, opts));
    const present = (d: Dot): boolean => first.siblings.some((s) => sameDot(s.dot, d));
    // A delete whose tombstone was collected, after which later writes without a context started a
    // fresh history without its dot (seed 80234 with --quorum 2,1,2). Evidence, either: a read after it
    // found no record at all; or the final history lacks its dot but holds a later dot of the same
    // actor — an actor numbers a key's dot only past what its copy holds (or past the counter floor a
    // collection raises), so such a gap is a forgotten dot, and only collecting a record forgets
    // (seeds 200063, 200284 with --quorum 2,1,2, on 7888c60 too). What the delete replaced must still
    // stay gone (resurrected, below).
    // Or the node renewed its actor since (a damaged copy, an unclean restart: seed 280728 with
    // --quorum 2,1,2 and per-op quorums) and the history holds a dot of a later generation of it, with
    // the delete's dot gone: the later generation's dots were numbered after the delete.
    const collected = (d: HistoryOp): boolean =>
      d.kind === 'del' &&
      (keyOps.some((r) => r.kind === 'get' && r.outcome === 'ok' && r.invokedAt > (d.completedAt ?? Infinity) && r.readContext === undefined) ||
        (d.dot !== undefined &&
          !dotsHas(first.history, d.dot) &&
          (dotsMaxCounter(first.history, d.dot.actor) > d.dot.counter || laterGeneration(first.history, d.dot.actor))));
    for (const w of writes) {
      if (w.dot === undefined) continue;
      if (w.outcome === 'ok' && !coveredByAny(w.dot) && !present(w.dot) && !mayHaveExpired(w, endedAt, opts) && !collected(w) && !mayBeLostWithDisk(w, opts)) {
        violations.push({ property: 'lost-write', key: final.key, detail: `op ${w.id} (${w.kind} ${w.value ?? ''}) dot ${dotName(w.dot)} acknowledged and never replaced, but gone` });
      }
      const replacer = coveredByAcked(w.dot);
      if (replacer !== undefined && present(w.dot)) {
        violations.push({ property: 'resurrected', key: final.key, detail: `dot ${dotName(w.dot)} was replaced by op ${replacer.id} but is a sibling again` });
      }
    }
    // Every live sibling must be a write nobody replaced: at most the acknowledged
    // writes no context covered, plus writes whose outcome is unknown.
    // Distinct values: the simulated network delivers some requests twice, and a forwarded write
    // delivered twice is applied twice (as a client retry would be) — a duplicate, not an explosion.
    const live = new Set(first.siblings.filter((s) => s.value !== null).map((s) => Buffer.from(s.value as Uint8Array).toString('latin1'))).size;
    const uncovered = writes.filter((w) => w.kind === 'put' && w.outcome === 'ok' && w.dot !== undefined && coveredByAcked(w.dot) === undefined).length;
    const unknown = writes.filter((w) => w.kind === 'put' && (w.outcome === 'info' || w.outcome === 'pending')).length;
    if (live > uncovered + unknown) {
      violations.push({ property: 'sibling-explosion', key: final.key, detail: `${live} live siblings, but only ${uncovered} unreplaced acknowledged puts and ${unknown} unknown` });
    }
    checkReads(keyOps, final.key, opts, violations);
    checkExpiredReads(keyOps, final.key, violations);
    checkConditionalWrites(keyOps, final.key, opts, violations);
  }
  return violations;
}

/**
 * lost-update: a conditional write passes only if what its quorum read found
 * live is what its client had read (the ETag names exactly those versions).
 * So an acknowledged put it superseded that its client had not read must
 * already have been superseded, within what that read found, by another
 * write — or have expired; otherwise it was live and the check should have
 * failed (a read-modify-write overwrote a value its client never saw).
 */
function checkConditionalWrites(keyOps: readonly HistoryOp[], key: string, opts: CheckOptions, out: Violation[]): void {
  const puts = keyOps.filter((o): o is HistoryOp & { dot: Dot } => o.kind === 'put' && o.outcome === 'ok' && o.dot !== undefined);
  const writes = keyOps.filter((o) => o.kind === 'put' || o.kind === 'del');
  for (const p of keyOps) {
    const used = p.contextUsed;
    if (p.condition === undefined || p.outcome !== 'ok' || used === undefined) continue;
    for (const w of puts) {
      if (w === p || !dotsHas(used, w.dot) || (p.contextIn !== undefined && dotsHas(p.contextIn, w.dot))) continue;
      if (mayHaveExpired(w, p.completedAt ?? Infinity, opts)) continue;
      // Superseded by a write the read found (its dot is in the context), or by one whose outcome is unknown.
      const replaced = writes.some(
        (x) => x !== w && x !== p && x.outcome !== 'fail' && covers(x, w.dot) && (x.outcome !== 'ok' || (x.dot !== undefined && dotsHas(used, x.dot))),
      );
      if (!replaced) {
        out.push({ property: 'lost-update', key, detail: `conditional ${p.kind} op ${p.id} (${p.condition}) passed its check, but put op ${w.id} (${dotName(w.dot)}), which its client had not read, was live` });
      }
    }
  }
}

function checkExpiredReads(keyOps: readonly HistoryOp[], key: string, out: Violation[]): void {
  for (const r of keyOps) {
    if (r.kind !== 'get' || r.outcome !== 'ok' || r.readerClock === undefined) continue;
    const clock = r.readerClock;
    const stale = (r.readExpiresAt ?? []).filter((at) => at <= clock);
    if (stale.length > 0) out.push({ property: 'expired-read', key, detail: `get op ${r.id} returned a value that expired at ${stale[0]}, its coordinator's clock read ${clock} when it began` });
  }
}

function checkReads(keyOps: readonly HistoryOp[], key: string, opts: CheckOptions, out: Violation[]): void {
  // A write acknowledged by W primaries and a read answered by R primaries: see mustSee.
  const acked = keyOps.filter((o) => o.kind !== 'get' && o.outcome === 'ok' && o.dot !== undefined && o.sloppy === false);
  const putOfValue = new Map(keyOps.filter((o) => o.kind === 'put' && o.value !== undefined).map((o) => [o.value as string, o]));
  // Deletes with a context, acknowledged or of unknown outcome: one applied, then collected, takes the dots it
  // replaced out of every later context (simulator seed 180097: a delete timed out, was applied, and was reaped).
  const deletes = keyOps.filter((o) => o.kind === 'del' && (o.outcome === 'ok' || o.outcome === 'info') && supersedes(o) !== undefined);
  // TTL puts with a context, whatever their outcome: applied and expired, they erase what they replaced as a delete does.
  const expiring = keyOps.filter((o) => o.kind === 'put' && o.ttlMs !== undefined && supersedes(o) !== undefined);
  const endOf = (r: HistoryOp): number => r.completedAt ?? Infinity;
  for (const r of keyOps) {
    if (r.kind !== 'get' || r.outcome !== 'ok' || r.sloppy !== false) continue;
    const before = (w: HistoryOp): boolean => (w.completedAt ?? Infinity) < r.invokedAt;
    // None of the values the write replaced came back in the read.
    const replacedStayGone = (d: HistoryOp): boolean =>
      !(r.readValues ?? []).some((v) => {
        const put = putOfValue.get(v);
        return put?.dot !== undefined && covers(d, put.dot);
      });
    // A delete acknowledged before the read (or, of unknown outcome, begun before it ended) whose effect the read shows.
    const deleteHolds = (d: HistoryOp): boolean => (d.outcome === 'ok' ? before(d) : d.invokedAt < endOf(r)) && replacedStayGone(d);
    for (const w of acked) {
      if (w.dot === undefined || !mustSee(w, r, opts)) continue;
      const seen = r.readContext !== undefined && dotsHas(r.readContext, w.dot);
      if (seen) continue;
      // Tombstone GC: once a delete's tombstone is collected, neither its dot nor the dots it replaced are in any
      // context, and a later write without a context starts a fresh history (simulator seed 6008 under 18217fd).
      // Missing them is right as long as the read shows the deletion (no replaced value returned).
      // A TTL put that may have expired before the read ended is a delete too: purged, its record collected.
      const dot = w.dot;
      const collectable =
        (w.kind === 'del' && deleteHolds(w)) ||
        (mayHaveExpired(w, endOf(r), opts) && replacedStayGone(w)) ||
        deletes.some((d) => covers(d, dot) && deleteHolds(d)) ||
        expiring.some((p) => mayHaveExpired(p, endOf(r), opts) && covers(p, dot) && replacedStayGone(p));
      if (!collectable) out.push({ property: 'stale-read', key, detail: `get op ${r.id} missed write op ${w.id} (${dotName(w.dot)}) acknowledged before it began` });
    }
  }
}
