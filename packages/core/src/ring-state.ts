/**
 * Who owns which partitions, as an explicit, versioned decision. Membership
 * changes only by an operation (join, leave, remove) that commits a new epoch:
 * the previous ownership, the target ownership from `claim`, and the
 * transfers between them. Until every transfer of a key partition is done its
 * replicas stay the previous ones; then they switch to the target's. States
 * spread by gossip and merge deterministically: a higher epoch wins; within an
 * epoch the completed transfers are unioned; two different commits of the same
 * epoch are settled by the author id, so every node converges on one ring.
 */
import { claim } from './claim.js';
import { preferenceList, ringWalk } from './preference-list.js';
import type { Member, Ring } from './ring.js';

export interface RingState {
  /** 0 = bootstrap: derived from the members a cluster started with, never gossiped */
  readonly epoch: number;
  /** node that committed this epoch (settles two commits of the same epoch) */
  readonly author: string;
  readonly partitionCount: number;
  readonly n: number;
  /** owning members after this epoch's change, sorted by id */
  readonly members: readonly Member[];
  /** members the change removed for good (dead): never a transfer source */
  readonly removed: readonly string[];
  readonly previous: readonly string[];
  readonly target: readonly string[];
  /** completed transfer ids, sorted */
  readonly done: readonly string[];
}

/** One key partition's data moving to a node that becomes one of its replicas. */
export interface Transfer {
  readonly id: string;
  readonly partition: number;
  readonly to: string;
  /** replicas that hold the data now, best first (the one giving the partition up) */
  readonly sources: readonly string[];
}

export interface RingChange {
  readonly join?: readonly Member[];
  readonly leave?: readonly string[];
  readonly remove?: readonly string[];
}

const ringOf = (owners: readonly string[]): Ring => ({ partitionCount: owners.length, owners });
const byId = (a: Member, b: Member): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
export const transferId = (partition: number, to: string): string => `${partition}>${to}`;

export function bootstrapRingState(members: readonly Member[], partitionCount: number, n: number): RingState {
  const sorted = [...members].sort(byId);
  const owners = claim(undefined, sorted, partitionCount, n).owners;
  return { epoch: 0, author: '', partitionCount, n, members: sorted, removed: [], previous: owners, target: owners, done: [] };
}

/**
 * Memo of `transfersOf`, keyed by the (immutable) target array: gossip and
 * the handoff loop ask for the same epoch's transfers many times a second,
 * and `markDone` copies a state but keeps its arrays. Pure: same input, same output.
 */
const transferMemo = new WeakMap<readonly string[], { previous: readonly string[]; removed: readonly string[]; n: number; transfers: readonly Transfer[] }>();

/** Every transfer of the state's epoch (done or not). */
export function transfersOf(s: RingState): readonly Transfer[] {
  const hit = transferMemo.get(s.target);
  if (hit !== undefined && hit.previous === s.previous && hit.removed === s.removed && hit.n === s.n) return hit.transfers;
  const transfers = computeTransfers(s);
  transferMemo.set(s.target, { previous: s.previous, removed: s.removed, n: s.n, transfers });
  return transfers;
}

function computeTransfers(s: RingState): readonly Transfer[] {
  const out: Transfer[] = [];
  if (s.previous === s.target) return out;
  const removed = new Set(s.removed);
  for (let p = 0; p < s.partitionCount; p++) {
    const before = preferenceList(ringOf(s.previous), p, s.n);
    const after = preferenceList(ringOf(s.target), p, s.n);
    const leaving = before.filter((id) => !after.includes(id) && !removed.has(id));
    const staying = before.filter((id) => after.includes(id) && !removed.has(id));
    for (const to of after) {
      if (before.includes(to)) continue;
      out.push(Object.freeze({ id: transferId(p, to), partition: p, to, sources: Object.freeze([...leaving, ...staying]) }));
    }
  }
  return Object.freeze(out);
}

export function pendingTransfers(s: RingState): Transfer[] {
  if (s.done.length === 0) return [...transfersOf(s)];
  const done = new Set(s.done);
  return transfersOf(s).filter((t) => !done.has(t.id));
}

/** Whether a key partition's replicas are already the target's. */
export function partitionSwitched(s: RingState, partition: number, pending: ReadonlySet<string> = pendingPartitions(s)): boolean {
  return !pending.has(String(partition));
}

export function pendingPartitions(s: RingState): Set<string> {
  return new Set(pendingTransfers(s).map((t) => String(t.partition)));
}

/** The ring whose walk serves a partition now (previous until its transfers are done). */
export function servingRing(s: RingState, partition: number, pending: ReadonlySet<string> = pendingPartitions(s)): Ring {
  return ringOf(partitionSwitched(s, partition, pending) ? s.target : s.previous);
}

export function replicasOf(s: RingState, partition: number, pending?: ReadonlySet<string>): string[] {
  return preferenceList(servingRing(s, partition, pending), partition, s.n);
}

export function walkOf(s: RingState, partition: number, pending?: ReadonlySet<string>): string[] {
  return ringWalk(servingRing(s, partition, pending), partition);
}

export interface Plan {
  readonly next: RingState;
  /** partitions whose owner changes (what claim minimises) */
  readonly ownersMoved: number;
  readonly transfers: readonly Transfer[];
}

/** The new epoch a change would commit. Refused while transfers of the current epoch are pending. */
export function planChange(s: RingState, change: RingChange, author: string): Plan {
  const pending = pendingTransfers(s);
  if (pending.length > 0) throw new Error(`${pending.length} transfers of epoch ${s.epoch} are still running; commit again when they are done`);
  const drop = new Set([...(change.leave ?? []), ...(change.remove ?? [])]);
  const members = new Map(s.members.map((m) => [m.id, m] as const));
  for (const id of drop) {
    if (!members.has(id)) throw new Error(`${id} is not a member of the ring`);
    members.delete(id);
  }
  for (const m of change.join ?? []) {
    if (members.has(m.id)) throw new Error(`${m.id} is already a member of the ring`);
    members.set(m.id, m);
  }
  if (members.size === 0) throw new Error('a change cannot leave the ring without members');
  const sorted = [...members.values()].sort(byId);
  const previous = s.target;
  const target = claim(ringOf(previous), sorted, s.partitionCount, s.n).owners;
  const next: RingState = {
    epoch: s.epoch + 1,
    author,
    partitionCount: s.partitionCount,
    n: s.n,
    members: sorted,
    removed: [...(change.remove ?? [])].sort(),
    previous,
    target,
    done: [],
  };
  let ownersMoved = 0;
  for (let p = 0; p < s.partitionCount; p++) if (previous[p] !== target[p]) ownersMoved++;
  return { next, ownersMoved, transfers: transfersOf(next) };
}

export function markDone(s: RingState, ids: readonly string[]): RingState {
  const done = [...new Set([...s.done, ...ids])].sort();
  return done.length === s.done.length ? s : { ...s, done };
}

/** Joined owner lists, memoised per (immutable) array: every gossip message compares two rings. */
const joinMemo = new WeakMap<readonly string[], string>();
function joined(owners: readonly string[]): string {
  let j = joinMemo.get(owners);
  if (j === undefined) {
    j = owners.join();
    joinMemo.set(owners, j);
  }
  return j;
}

const sameOwners = (a: readonly string[], b: readonly string[]): boolean => a === b || joined(a) === joined(b);

function sameDecision(a: RingState, b: RingState): boolean {
  return a.epoch === b.epoch && a.author === b.author && sameOwners(a.target, b.target) && sameOwners(a.previous, b.previous);
}

/** The join of two states (commutative, associative, idempotent). */
export function mergeRingStates(a: RingState, b: RingState): RingState {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? a : b;
  if (!sameDecision(a, b)) {
    const ka = `${a.author}|${joined(a.target)}|${joined(a.previous)}`;
    const kb = `${b.author}|${joined(b.target)}|${joined(b.previous)}`;
    return ka > kb ? a : b;
  }
  return markDone(a, b.done);
}

export function ringStatesEqual(a: RingState, b: RingState): boolean {
  return sameDecision(a, b) && a.done.join() === b.done.join();
}

/** Wire forms memoised per state object: a node gossips the same state every round. */
const wireMemo = new WeakMap<RingState, unknown>();

/** Compact form for gossip: owners as indexes into the sorted list of every id they mention. */
export function ringStateToWire(s: RingState): unknown {
  let w = wireMemo.get(s);
  if (w === undefined) {
    w = computeWire(s);
    wireMemo.set(s, w);
  }
  return w;
}

function computeWire(s: RingState): unknown {
  const ids = [...new Set([...s.previous, ...s.target])].sort();
  const index = new Map(ids.map((id, i) => [id, i] as const));
  const pack = (owners: readonly string[]): Uint8Array | number[] =>
    ids.length <= 256 ? Uint8Array.from(owners, (o) => index.get(o) as number) : owners.map((o) => index.get(o) as number);
  return [1, s.epoch, s.author, s.partitionCount, s.n, s.members.map((m) => [m.id, m.weight]), s.removed, ids, pack(s.previous), pack(s.target), s.done];
}

const idOk = (x: unknown): x is string => typeof x === 'string' && /^[A-Za-z0-9_.-]{0,64}$/.test(x);

/** Validates a gossiped ring state; undefined when malformed. */
export function ringStateFromWire(x: unknown): RingState | undefined {
  if (!Array.isArray(x) || x.length !== 11 || x[0] !== 1) return undefined;
  const [, epoch, author, q, n, members, removed, ids, prev, targ, done] = x as unknown[];
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 1 || !idOk(author)) return undefined;
  if (typeof q !== 'number' || !Number.isInteger(q) || q < 1 || q > 65536 || (q & (q - 1)) !== 0) return undefined;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 16) return undefined;
  if (!Array.isArray(members) || !Array.isArray(removed) || !Array.isArray(ids) || !Array.isArray(done)) return undefined;
  if (!ids.every(idOk) || !removed.every(idOk) || !done.every((d) => typeof d === 'string' && d.length < 100)) return undefined;
  const ms: Member[] = [];
  for (const m of members) {
    if (!Array.isArray(m) || !idOk(m[0]) || typeof m[1] !== 'number' || !Number.isInteger(m[1]) || m[1] < 1) return undefined;
    ms.push({ id: m[0], weight: m[1] });
  }
  const unpack = (v: unknown): string[] | undefined => {
    const arr = v instanceof Uint8Array ? [...v] : Array.isArray(v) ? v : undefined;
    if (arr === undefined || arr.length !== q) return undefined;
    const out: string[] = [];
    for (const i of arr) {
      const id = typeof i === 'number' ? (ids[i] as string | undefined) : undefined;
      if (id === undefined) return undefined;
      out.push(id);
    }
    return out;
  };
  const previous = unpack(prev);
  const target = unpack(targ);
  if (previous === undefined || target === undefined) return undefined;
  return { epoch, author, partitionCount: q, n, members: ms, removed: removed as string[], previous, target, done: [...(done as string[])].sort() };
}
