/**
 * The partition map: which node owns each of the Q partitions of the hash space.
 * A ring is plain data (it is gossiped and persisted); these functions read it.
 */
import { assertValidPartitionCount } from './hash.js';

export type NodeId = string;

export interface Ring {
  readonly partitionCount: number;
  /** owners[p] owns partition p; partition p+1 follows p on the ring, and 0 follows Q-1. */
  readonly owners: readonly NodeId[];
}

/** A node taking part in claim; `weight` (an integer ≥ 1) is its share of capacity. */
export interface Member {
  readonly id: NodeId;
  readonly weight: number;
}

/**
 * Orders node ids by UTF-16 code units. Deliberately not localeCompare: every
 * node must sort the same ids the same way whatever its locale, or two nodes
 * would claim different rings from the same membership.
 */
export function compareNodeIds(a: NodeId, b: NodeId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Throws (RangeError/TypeError) unless `ring` has a valid Q and one non-empty owner per partition. */
export function validateRing(ring: Ring): void {
  assertValidPartitionCount(ring.partitionCount);
  if (!Array.isArray(ring.owners) || ring.owners.length !== ring.partitionCount) {
    throw new RangeError(`ring must have ${ring.partitionCount} owners (got ${String(ring.owners?.length)})`);
  }
  ring.owners.forEach((owner: unknown, p) => {
    if (typeof owner !== 'string' || owner.length === 0) {
      throw new TypeError(`partition ${p} has no valid owner`);
    }
  });
}

/** The distinct owners of a ring, sorted. */
export function ringMembers(ring: Ring): NodeId[] {
  return [...new Set(ring.owners)].sort(compareNodeIds);
}

/** The partitions `id` owns, ascending. */
export function partitionsOwnedBy(ring: Ring, id: NodeId): number[] {
  const owned: number[] = [];
  ring.owners.forEach((owner, p) => {
    if (owner === id) owned.push(p);
  });
  return owned;
}

/** How many partitions each owner holds; iterates in id order. */
export function ownershipCounts(ring: Ring): ReadonlyMap<NodeId, number> {
  const counts = new Map<NodeId, number>();
  for (const id of ringMembers(ring)) counts.set(id, 0);
  for (const owner of ring.owners) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return counts;
}

export function ringEquals(a: Ring, b: Ring): boolean {
  return (
    a.partitionCount === b.partitionCount &&
    a.owners.length === b.owners.length &&
    a.owners.every((owner, p) => owner === b.owners[p])
  );
}

/**
 * How many partitions change owner from `a` to `b`: the number of handoffs a
 * ring change costs. Rings of different Q cannot be compared (Q is fixed for a
 * cluster's life), so that throws.
 */
export function partitionsMoved(a: Ring, b: Ring): number {
  if (a.partitionCount !== b.partitionCount || a.owners.length !== b.owners.length) {
    throw new RangeError(`cannot compare rings of ${a.partitionCount} and ${b.partitionCount} partitions`);
  }
  let moved = 0;
  a.owners.forEach((owner, p) => {
    if (owner !== b.owners[p]) moved++;
  });
  return moved;
}
