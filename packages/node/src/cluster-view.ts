import {
  claim,
  mergeMemberTables,
  memberTablesEqual,
  preferenceList,
  ringWalk,
  type ClusterParams,
  type MemberInfo,
  type MemberTable,
  type Ring,
} from '@ringkv/core';

/**
 * What this node currently believes about the cluster: the members with their
 * addresses, the ring derived from them, and each partition's preference list
 * (precomputed, since every request needs one).
 */
export class ClusterView {
  private table: MemberTable;
  private currentRing!: Ring;
  private preflists: readonly (readonly string[])[] = [];
  private walks: readonly (readonly string[])[] = [];
  private listeners: (() => void)[] = [];

  constructor(
    readonly self: MemberInfo,
    readonly params: ClusterParams,
  ) {
    this.table = new Map([[self.id, self]]);
    this.recompute();
  }

  get members(): MemberTable {
    return this.table;
  }

  get ring(): Ring {
    return this.currentRing;
  }

  member(id: string): MemberInfo | undefined {
    return this.table.get(id);
  }

  /** Merges member entries learnt from a peer; recomputes the ring when the membership changed. */
  learn(entries: Iterable<MemberInfo>): boolean {
    const merged = mergeMemberTables(this.table, entries);
    // Our own entry is authoritative: a stale copy of it never replaces it.
    const withSelf = new Map(merged);
    withSelf.set(this.self.id, this.self);
    if (memberTablesEqual(withSelf, this.table)) return false;
    this.table = withSelf;
    this.recompute();
    for (const l of this.listeners) l();
    return true;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  preferenceList(partition: number): readonly string[] {
    const list = this.preflists[partition];
    if (list === undefined) throw new Error(`partition ${partition} out of range`);
    return list;
  }

  /** Every member in ring order from the partition: the first N are its primaries, the rest fallbacks. */
  walk(partition: number): readonly string[] {
    const walk = this.walks[partition];
    if (walk === undefined) throw new Error(`partition ${partition} out of range`);
    return walk;
  }

  partitionsOwnedBySelf(): number {
    return this.currentRing.owners.filter((o) => o === this.self.id).length;
  }

  private recompute(): void {
    // Until ownership becomes an explicit, versioned operation (join/leave),
    // the ring is a pure function of the member set, so every node that knows
    // the same members computes the same ring.
    const members = [...this.table.values()].map((m) => ({ id: m.id, weight: m.weight }));
    this.currentRing = claim(undefined, members, this.params.partitionCount, this.params.n);
    const lists: (readonly string[])[] = [];
    const walks: (readonly string[])[] = [];
    for (let p = 0; p < this.params.partitionCount; p++) {
      lists.push(preferenceList(this.currentRing, p, this.params.n));
      walks.push(ringWalk(this.currentRing, p));
    }
    this.preflists = lists;
    this.walks = walks;
  }
}
