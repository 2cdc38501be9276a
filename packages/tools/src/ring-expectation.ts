import {
  bootstrapRingState,
  markDone,
  partitionOfKey,
  planChange,
  preferenceList,
  transfersOf,
  type RingChange,
  type RingState,
} from '@ringkv/core';

/**
 * The ring a local cluster should arrive at, computed the way the nodes
 * compute it (the same pure claim and ring-state functions), so a test or a
 * benchmark can say exactly how many keys each node must hold at the end, and
 * how far a change's movement is from the minimum.
 */
export class RingExpectation {
  private state: RingState;

  constructor(
    memberIds: readonly string[],
    readonly partitionCount = 256,
    readonly n = 3,
  ) {
    this.state = bootstrapRingState(
      memberIds.map((id) => ({ id, weight: 1 })),
      partitionCount,
      n,
    );
  }

  get epoch(): number {
    return this.state.epoch;
  }

  get members(): string[] {
    return this.state.members.map((m) => m.id);
  }

  /** Applies a committed change (with every transfer of the epoch before it done). */
  apply(change: RingChange): { ownersMoved: number; transfers: number } {
    const finished = markDone(this.state, transfersOf(this.state).map((t) => t.id));
    const plan = planChange(finished, change, 'expectation');
    this.state = plan.next;
    return { ownersMoved: plan.ownersMoved, transfers: plan.transfers.length };
  }

  /** Partitions each member owns after the current epoch. */
  ownerCounts(): Map<string, number> {
    const counts = new Map<string, number>(this.members.map((id) => [id, 0]));
    for (const o of this.state.target) counts.set(o, (counts.get(o) ?? 0) + 1);
    return counts;
  }

  /** The key's N replicas once every transfer of the current epoch is done. */
  replicasOf(key: string): string[] {
    const ring = { partitionCount: this.partitionCount, owners: this.state.target };
    return preferenceList(ring, partitionOfKey(Buffer.from(key, 'utf8'), this.partitionCount), this.n);
  }

  /** How many of `keys` every member must hold once the current epoch's transfers are done and dropped. */
  expectedKeyCounts(keys: Iterable<string>): Map<string, number> {
    const counts = new Map<string, number>(this.members.map((id) => [id, 0]));
    for (const key of keys) for (const id of this.replicasOf(key)) counts.set(id, (counts.get(id) ?? 0) + 1);
    return counts;
  }
}

/**
 * The fewest partitions that must change owner to go from `current` owner
 * counts to a balanced ring over `after` (equal weights): Q − Σ min(current,
 * target), with the +1s of an uneven split given to the members that own the
 * most now (which maximises the sum). A member leaving has target 0.
 */
export function minimumOwnersMoved(current: ReadonlyMap<string, number>, after: readonly string[], partitionCount: number): number {
  if (after.length === 0) throw new RangeError('a ring needs members');
  const base = Math.floor(partitionCount / after.length);
  let extra = partitionCount % after.length;
  const ranked = [...after].sort((a, b) => (current.get(b) ?? 0) - (current.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
  let kept = 0;
  for (const id of ranked) {
    const target = base + (extra > 0 ? 1 : 0);
    if (extra > 0) extra--;
    kept += Math.min(current.get(id) ?? 0, target);
  }
  return partitionCount - kept;
}
