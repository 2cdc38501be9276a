/**
 * Preference lists: which nodes hold a partition's replicas. The list for
 * partition p is the first n distinct owners met walking the ring from p
 * upward (wrapping); the rest of that walk, in order, is where a sloppy quorum
 * looks for fallbacks when some of the first n are down.
 */
import { partitionOfKey } from './hash.js';
import type { NodeId, Ring } from './ring.js';
import { validateRing } from './ring.js';

function assertPartition(ring: Ring, partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= ring.owners.length) {
    throw new RangeError(`partition must be an integer in 0..${ring.owners.length - 1} (got ${partition})`);
  }
}

function assertReplicaCount(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer ≥ 1 (got ${n})`);
}

/** The first `limit` distinct owners walking from `partition`; stops as soon as it has them. */
function walkFrom(ring: Ring, partition: number, limit: number): NodeId[] {
  const q = ring.owners.length;
  const seen = new Set<NodeId>();
  for (let k = 0; k < q && seen.size < limit; k++) {
    const owner = ring.owners[(partition + k) % q];
    if (owner !== undefined) seen.add(owner);
  }
  return [...seen]; // a Set iterates in insertion order: walk order
}

/**
 * The first n distinct owners walking from `partition`: the nodes holding its
 * replicas, primary first. Shorter than n only when the ring has fewer nodes.
 */
export function preferenceList(ring: Ring, partition: number, n: number): NodeId[] {
  assertPartition(ring, partition);
  assertReplicaCount(n);
  return walkFrom(ring, partition, n);
}

/** Every node of the ring, in the order a walk from `partition` first meets it. */
export function ringWalk(ring: Ring, partition: number): NodeId[] {
  assertPartition(ring, partition);
  return walkFrom(ring, partition, new Set(ring.owners).size);
}

/** The preference list of the partition `key` hashes to. */
export function preferenceListForKey(ring: Ring, key: Uint8Array, n: number): NodeId[] {
  return preferenceList(ring, partitionOfKey(key, ring.partitionCount), n);
}

/** Preference lists of one ring, precomputed, for the per-request path. */
export interface PreferenceIndex {
  readonly ring: Ring;
  readonly n: number;
  preferenceList(partition: number): readonly NodeId[];
  /** Computed on each call: it is needed only when primaries are down. */
  ringWalk(partition: number): readonly NodeId[];
  forKey(key: Uint8Array): readonly NodeId[];
}

/**
 * Precomputes the preference list of every partition in O(Q·n), however the
 * ring is laid out, using walk(p) = owner(p) followed by walk(p+1) without
 * owner(p): the walk from p+1 meets p last, so only owner(p) moves to the front.
 */
export function buildPreferenceIndex(ring: Ring, n: number): PreferenceIndex {
  validateRing(ring);
  assertReplicaCount(n);
  const q = ring.owners.length;
  const lists = new Array<readonly NodeId[]>(q);
  let next = walkFrom(ring, 0, n);
  lists[0] = Object.freeze(next);
  for (let p = q - 1; p > 0; p--) {
    const owner = ring.owners[p] ?? '';
    const list = [owner, ...next.filter((id) => id !== owner)].slice(0, n);
    lists[p] = Object.freeze(list);
    next = list;
  }
  const lookup = (partition: number): readonly NodeId[] => {
    assertPartition(ring, partition);
    return lists[partition] ?? [];
  };
  return {
    ring,
    n,
    preferenceList: lookup,
    ringWalk: (partition) => ringWalk(ring, partition),
    forKey: (key) => lookup(partitionOfKey(key, ring.partitionCount)),
  };
}
