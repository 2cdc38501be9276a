import {
  bootstrapRingState,
  mergeMemberTables,
  mergeRingStates,
  memberTablesEqual,
  pendingPartitions,
  replicasOf,
  ringStatesEqual,
  walkOf,
  type ClusterParams,
  type MemberInfo,
  type MemberTable,
  type Ring,
  type RingState,
} from '@ringkv/core';

/**
 * What this node currently believes about the cluster: the members with their
 * addresses (from gossip), the ring state (who owns what, and the transfers
 * under way), and each partition's replicas and ring walk, precomputed since
 * every request needs them.
 *
 * Until an operator commits a first change (epoch 1), the ring is the
 * bootstrap ring, derived from the members the cluster was started with;
 * from then on only committed changes (join/leave/remove) move partitions.
 */
export class ClusterView {
  private table: MemberTable;
  private state!: RingState;
  private preflists: readonly (readonly string[])[] = [];
  private pending: ReadonlySet<string> = new Set();
  private walks: readonly (readonly string[])[] = [];
  private readonly tableListeners: (() => void)[] = [];
  private readonly ringListeners: (() => void)[] = [];

  constructor(
    readonly self: MemberInfo,
    readonly params: ClusterParams,
  ) {
    this.table = new Map([[self.id, self]]);
    this.state = this.bootstrap();
    this.recompute();
  }

  get members(): MemberTable {
    return this.table;
  }

  get ringState(): RingState {
    return this.state;
  }

  /** The ownership partitions are heading to (equal to the current one when no transfer is under way). */
  get ring(): Ring {
    return { partitionCount: this.params.partitionCount, owners: this.state.target };
  }

  member(id: string): MemberInfo | undefined {
    return this.table.get(id);
  }

  /** Merges member entries learnt from a peer. Returns whether anything changed. */
  learn(entries: Iterable<MemberInfo>): boolean {
    const merged = new Map(mergeMemberTables(this.table, entries));
    // Our own entry is authoritative: a stale copy of it never replaces it.
    merged.set(this.self.id, this.self);
    if (memberTablesEqual(merged, this.table)) return false;
    this.table = merged;
    for (const l of this.tableListeners) l();
    if (this.state.epoch === 0) this.adopt(this.bootstrap(), true);
    return true;
  }

  /** Merges a ring state (gossiped or committed here). Returns whether ours changed. */
  learnRing(incoming: RingState): boolean {
    if (incoming.partitionCount !== this.params.partitionCount || incoming.n !== this.params.n) return false;
    const merged = this.state.epoch === 0 ? incoming : mergeRingStates(this.state, incoming);
    return this.adopt(merged, false);
  }

  onMembersChange(listener: () => void): void {
    this.tableListeners.push(listener);
  }

  onRingChange(listener: () => void): void {
    this.ringListeners.push(listener);
  }

  preferenceList(partition: number): readonly string[] {
    const list = this.preflists[partition];
    if (list === undefined) throw new Error(`partition ${partition} out of range`);
    return list;
  }

  /** Every ring member in walk order from the partition: the first N are its replicas, the rest fallbacks. */
  walk(partition: number): readonly string[] {
    const walk = this.walks[partition];
    if (walk === undefined) throw new Error(`partition ${partition} out of range`);
    return walk;
  }

  /**
   * Whether the partition's replicas are changing (a ring transfer is pending):
   * views may disagree on who its replicas are, so W+R>N does not promise a
   * read sees the latest write until the switch has spread.
   */
  transferring(partition: number): boolean {
    return this.pending.has(String(partition));
  }

  partitionsOwnedBySelf(): number {
    return this.state.target.filter((o) => o === this.self.id).length;
  }

  private bootstrap(): RingState {
    const members = [...this.table.values()].map((m) => ({ id: m.id, weight: m.weight }));
    return bootstrapRingState(members, this.params.partitionCount, this.params.n);
  }

  private adopt(next: RingState, bootstrap: boolean): boolean {
    if (!bootstrap && ringStatesEqual(next, this.state)) return false;
    this.state = next;
    this.recompute();
    for (const l of this.ringListeners) l();
    return true;
  }

  private recompute(): void {
    const pending = pendingPartitions(this.state);
    this.pending = pending;
    const lists: (readonly string[])[] = [];
    const walks: (readonly string[])[] = [];
    for (let p = 0; p < this.params.partitionCount; p++) {
      lists.push(replicasOf(this.state, p, pending));
      walks.push(walkOf(this.state, p, pending));
    }
    this.preflists = lists;
    this.walks = walks;
  }
}
