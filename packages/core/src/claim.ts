/**
 * Claim: who owns which partition, as a pure function of the previous ring and
 * the weighted members. Every node must get the same ring from the same inputs,
 * so nothing here depends on input order, time or chance.
 *
 * Priorities, strictly in this order:
 *  1. balance: each member owns floor or ceil of its weighted share Q·w/Σw;
 *  2. minimal movement: no balanced ring moves fewer partitions from `previous`;
 *  3. spread: few partitions whose owner owns another partition within the next
 *     n-1 (see spreadViolations), so that a preference list is usually just the
 *     next n owners and a node's partitions are far apart on the ring.
 *
 * How: targets first (who gets the +1s), then each member above target releases
 * its surplus (choosing partitions that break spread, then evenly spaced ones),
 * the freed partitions go to members below target (to one that causes no
 * violation there when possible), and finally a local search swaps owners in
 * ways that change neither counts nor movement while that removes violations.
 * The fill is tried with a varied member order first and, if that leaves
 * violations, with a strictly periodic one; the better result wins.
 */
import { assertValidPartitionCount } from './hash.js';
import type { Member, Ring } from './ring.js';
import { compareNodeIds, ringMembers, validateRing } from './ring.js';

/** Weights are capped so that Q·weight stays an exact integer in a double. */
export const memberWeightMax = 1_000_000;

/** Marks a partition with no owner yet (internal rings hold member indices). */
const NONE = -1;

/**
 * How many partitions after p fall in p's window of n. Never a full turn: on a
 * ring smaller than n, a partition must not be compared with itself.
 */
function windowReach(partitionCount: number, n: number): number {
  return Math.max(0, Math.min(n - 1, partitionCount - 1));
}

function assertValidReplicaCount(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer ≥ 1 (got ${n})`);
}

/** Whether the owner of p owns another partition among the next `reach` ones. */
function violatesAt(owners: Int32Array, p: number, reach: number): boolean {
  const q = owners.length;
  const owner = owners[p];
  for (let k = 1; k <= reach; k++) {
    if (owners[(p + k) % q] === owner) return true;
  }
  return false;
}

/**
 * The number of partitions p whose owner also owns one of p+1 .. p+n-1
 * (wrapping). Zero means any n consecutive partitions have n distinct owners,
 * so every preference list is exactly the next n owners and no two replicas
 * of a key would share a node even without skipping duplicates.
 */
export function spreadViolations(ring: Ring, n: number): number {
  assertValidReplicaCount(n);
  const reach = windowReach(ring.owners.length, n);
  const index = new Map(ringMembers(ring).map((id, i) => [id, i]));
  const owners = Int32Array.from(ring.owners, (id) => index.get(id) ?? NONE);
  return countViolations(owners, reach);
}

function countViolations(owners: Int32Array, reach: number): number {
  let violations = 0;
  for (let p = 0; p < owners.length; p++) if (violatesAt(owners, p, reach)) violations++;
  return violations;
}

/** Validates members and sorts them by id, so claim is independent of input order. */
function sortedMembers(members: readonly Member[]): Member[] {
  if (members.length === 0) throw new RangeError('claim needs at least one member');
  const sorted = [...members].sort((a, b) => compareNodeIds(a.id, b.id));
  sorted.forEach((m, i) => {
    if (typeof m.id !== 'string' || m.id.length === 0) throw new TypeError('member id must be a non-empty string');
    if (!Number.isInteger(m.weight) || m.weight < 1 || m.weight > memberWeightMax) {
      throw new RangeError(`member ${m.id}: weight must be an integer in 1..${memberWeightMax} (got ${m.weight})`);
    }
    if (i > 0 && sorted[i - 1]?.id === m.id) throw new RangeError(`member ${m.id} is listed twice`);
  });
  return sorted;
}

/**
 * How many partitions each member should own. Everyone gets floor(Q·w/Σw); the
 * R partitions left over go, one each, to members whose share is fractional.
 * They go first to members that already own more than their floor: each such
 * +1 lets one more partition stay where it is, and every other choice keeps
 * exactly as many, so this maximises Σ min(current, target), i.e. it minimises
 * movement. Ties: the larger remainder (closer to the exact share), then id.
 */
function targetCounts(weights: readonly number[], current: readonly number[], q: number): number[] {
  const total = weights.reduce((sum, w) => sum + w, 0);
  const shares = weights.map((w, i) => {
    const rem = (q * w) % total;
    return { i, floor: (q * w - rem) / total, rem, keeps: (current[i] ?? 0) > (q * w - rem) / total };
  });
  const targets = shares.map((s) => s.floor);
  let left = q - targets.reduce((sum, t) => sum + t, 0);
  const candidates = shares
    .filter((s) => s.rem > 0)
    .sort((a, b) => Number(b.keeps) - Number(a.keeps) || b.rem - a.rem || a.i - b.i);
  for (const s of candidates) {
    if (left === 0) break;
    targets[s.i] = s.floor + 1;
    left--;
  }
  return targets;
}

/** Previous owners as member indices; partitions of departed (or no) owners are NONE. */
function previousOwners(previous: Ring | undefined, index: ReadonlyMap<string, number>, q: number): Int32Array {
  if (previous === undefined) return new Int32Array(q).fill(NONE);
  return Int32Array.from(previous.owners, (id) => index.get(id) ?? NONE);
}

function countOwners(owners: Int32Array, memberCount: number): number[] {
  const counts = new Array<number>(memberCount).fill(0);
  for (const i of owners) if (i !== NONE) counts[i] = (counts[i] ?? 0) + 1;
  return counts;
}

/**
 * Each member above target gives up its surplus: first partitions where it
 * breaks spread (giving those up repairs the ring for free), then partitions
 * evenly spaced along its own list, phase-shifted per member so the holes of
 * different members interleave instead of bunching (a joiner that fills
 * bunched holes would own neighbouring partitions).
 */
function releaseSurplus(owners: Int32Array, counts: readonly number[], targets: readonly number[], reach: number): void {
  const over = counts.map((c, i) => c - (targets[i] ?? 0)).map((e, i) => ({ i, e })).filter((x) => x.e > 0);
  over.forEach(({ i, e }, rank) => {
    let surplus = e;
    const kept: number[] = [];
    for (let p = 0; p < owners.length; p++) {
      if (owners[p] !== i) continue;
      if (surplus > 0 && violatesAt(owners, p, reach)) {
        owners[p] = NONE;
        surplus--;
      } else kept.push(p);
    }
    const phase = (rank + 0.5) / over.length;
    // Consecutive picks are kept.length/surplus ≥ 1 apart, so they are distinct.
    for (let a = 0; a < surplus; a++) {
      const p = kept[Math.floor(((a + phase) * kept.length) / surplus)];
      if (p !== undefined) owners[p] = NONE;
    }
  });
}

/** Whether `member` owns a partition within `reach` of p on either side. */
function ownsNear(owners: Int32Array, p: number, member: number, reach: number): boolean {
  const q = owners.length;
  for (let k = 1; k <= reach; k++) {
    if (owners[(p + k) % q] === member || owners[(p - k + q) % q] === member) return true;
  }
  return false;
}

/** The golden ratio's fractional part: its multiples mod 1 never bunch up. */
const goldenFraction = 0.6180339887498949;
/** How far a member's phase drifts per receipt (in rounds); tuned on Q=16..2048, n=2..5. */
const driftAmplitude = 0.25;

/**
 * Hands the holes, in ring order, to members below target. Each member's
 * receipts are scheduled evenly over the holes (a stride scheduler, phases
 * staggered so equal members alternate); at each hole the member most due
 * that owns nothing nearby gets it, or the most due one if all do.
 *
 * With `diverse`, each member's phase also drifts from one receipt to the
 * next, so the order of members changes from round to round. A strictly
 * periodic ring (abcde abcde …) is perfect until a member leaves: then every
 * hole it leaves sits between the same 2(n-1) members, who can take none of
 * them without a violation. Drifting gives each member varied neighbours.
 * It is skipped when there are barely more members than the window holds,
 * since then only a near-periodic order has no violations at all.
 */
function fillHoles(owners: Int32Array, targets: readonly number[], reach: number, diverse: boolean): void {
  const holes: number[] = [];
  owners.forEach((o, p) => {
    if (o === NONE) holes.push(p);
  });
  const counts = countOwners(owners, targets.length);
  const needy = targets
    .map((t, i) => ({ i, need: t - (counts[i] ?? 0), given: 0, phase: 0, drift: 0 }))
    .filter((m) => m.need > 0);
  const drifts = diverse && needy.length >= reach + 3;
  needy.forEach((m, rank) => {
    m.phase = (rank + 0.5) / needy.length;
    m.drift = drifts ? (rank + 1) * goldenFraction * driftAmplitude : 0;
  });
  const due = (m: (typeof needy)[number]): number =>
    ((m.given + ((m.phase + m.given * m.drift) % 1)) * holes.length) / m.need;
  for (const hole of holes) {
    let best: (typeof needy)[number] | undefined;
    let bestClear = false;
    for (const m of needy) {
      if (m.given === m.need) continue;
      const clear = !ownsNear(owners, hole, m.i, reach);
      if (best === undefined || (clear && !bestClear) || (clear === bestClear && due(m) < due(best))) {
        best = m;
        bestClear = clear;
      }
    }
    if (best === undefined) throw new Error('claim: more holes than missing partitions (bug)');
    owners[hole] = best.i;
    best.given++;
  }
}

/** Violations among the windows that a change at `a` or `b` can affect, each counted once. */
function violationsAround(owners: Int32Array, a: number, b: number, reach: number): number {
  const q = owners.length;
  let v = 0;
  for (let k = 0; k <= reach; k++) {
    if (violatesAt(owners, (a - k + q) % q, reach)) v++;
    const fromB = (b - k + q) % q;
    if ((a - fromB + q) % q > reach && violatesAt(owners, fromB, reach)) v++;
  }
  return v;
}

/** Work limits of the spread search (in steps of about one array read). */
const searchStepsPerPartition = 4096;
const searchStepsMax = 4_000_000;

/**
 * Local search for spread. It swaps the owners of two partitions only when
 * the swap keeps the number of partitions still with their previous owner (so
 * movement stays minimal; counts never change under a swap), and only when it
 * strictly lowers the violations, so it terminates. A partition kept by a
 * member at or below target can take part in no such swap, so only the others
 * are searched. The budget bounds the work on huge or hopeless rings; it
 * counts steps, so the result stays deterministic.
 */
function improveSpread(owners: Int32Array, prev: Int32Array, over: readonly boolean[], reach: number): void {
  if (reach === 0) return;
  const movable: number[] = [];
  owners.forEach((o, p) => {
    if (o !== prev[p] || over[o] === true) movable.push(p);
  });
  let budget = Math.min(searchStepsMax, searchStepsPerPartition * owners.length);
  const kept = (p: number): number => Number(owners[p] === prev[p]);
  const trySwap = (a: number, b: number): boolean => {
    const oa = owners[a] ?? NONE;
    const ob = owners[b] ?? NONE;
    if (oa === ob || kept(a) + kept(b) !== Number(ob === prev[a]) + Number(oa === prev[b])) return false;
    budget -= 2 * (reach + 1) * reach;
    const before = violationsAround(owners, a, b, reach);
    owners[a] = ob;
    owners[b] = oa;
    if (violationsAround(owners, a, b, reach) < before) return true;
    owners[a] = oa;
    owners[b] = ob;
    return false;
  };
  const near = new Int32Array(over.length);
  let improved = true;
  while (improved && budget > 0) {
    improved = false;
    for (const end of movable) {
      if (budget <= 0) break;
      countNear(owners, end, reach, near);
      budget -= near.length + 2 * reach;
      // Only an owner less crowded around `end` than its owner can lower the
      // count there (none can when its owner is not nearby: no violation).
      const limit = near[owners[end] ?? NONE] ?? 0;
      if (limit === 0 || !near.some((c) => c < limit)) continue;
      for (const c of movable) {
        budget--;
        if ((near[owners[c] ?? NONE] ?? limit) < limit && trySwap(end, c)) {
          improved = true;
          break;
        }
      }
    }
  }
}

/** Sets near[i] to how many of the partitions within `reach` of p (either side) member i owns. */
function countNear(owners: Int32Array, p: number, reach: number, near: Int32Array): void {
  const q = owners.length;
  near.fill(0);
  const bump = (owner: number): void => void (near[owner] = (near[owner] ?? 0) + 1);
  for (let k = 1; k <= reach; k++) {
    bump(owners[(p + k) % q] ?? NONE);
    bump(owners[(p - k + q) % q] ?? NONE);
  }
}

/** Balance is the one promise never traded away: fail loudly if it broke. */
function assertOnTarget(owners: Int32Array, targets: readonly number[]): void {
  const counts = countOwners(owners, targets.length);
  if (owners.includes(NONE) || counts.some((c, i) => c !== targets[i])) {
    throw new Error('claim: result is not balanced (bug)');
  }
}

/**
 * The ring for `members`, moving as few partitions from `previous` as any
 * balanced ring can (see the file comment). `n` is the replica count, used
 * only for spread. Throws on no members, duplicate ids, bad weights, an
 * invalid Q, or a previous ring of a different Q.
 */
export function claim(previous: Ring | undefined, members: readonly Member[], partitionCount: number, n: number): Ring {
  assertValidPartitionCount(partitionCount);
  assertValidReplicaCount(n);
  const sorted = sortedMembers(members);
  if (previous !== undefined) {
    validateRing(previous);
    if (previous.partitionCount !== partitionCount) {
      throw new RangeError(`previous ring has ${previous.partitionCount} partitions, not ${partitionCount}`);
    }
  }
  const reach = windowReach(partitionCount, n);
  const index = new Map(sorted.map((m, i) => [m.id, i]));
  const prev = previousOwners(previous, index, partitionCount);
  const counts = countOwners(prev, sorted.length);
  const targets = targetCounts(sorted.map((m) => m.weight), counts, partitionCount);
  const released = Int32Array.from(prev);
  releaseSurplus(released, counts, targets, reach);
  const over = counts.map((c, i) => c > (targets[i] ?? 0));
  const attempt = (diverse: boolean): { owners: Int32Array; violations: number } => {
    const owners = Int32Array.from(released);
    fillHoles(owners, targets, reach, diverse);
    improveSpread(owners, prev, over, reach);
    return { owners, violations: countViolations(owners, reach) };
  };
  // Diverse layouts survive later leaves better; the plain one is the
  // fallback for tight cases where drifting leaves a violation behind.
  let best = attempt(true);
  if (best.violations > 0) {
    const plain = attempt(false);
    if (plain.violations < best.violations) best = plain;
  }
  const owners = best.owners;
  assertOnTarget(owners, targets);
  const ids = Object.freeze(Array.from(owners, (i) => sorted[i]?.id ?? ''));
  return Object.freeze({ partitionCount, owners: ids });
}
