import { RingkvError, pendingTransfers, planChange, transfersOf, type Member, type RingChange, type Transfer } from '@ringkv/core';
import type { RingkvNode } from './ringkv-node.js';
import { RPC_OPS } from './rpc-ops.js';

export type StagedOp = 'join' | 'leave' | 'remove';

export interface PlanSummary {
  readonly epoch: number;
  readonly nextEpoch: number;
  readonly staged: RingChange;
  readonly ownersMoved: number;
  readonly transfers: number;
  /** per node: key partitions it will receive and send, with estimated keys and bytes */
  readonly nodes: Record<string, { partitionsIn: number; partitionsOut: number; keysIn: number; bytesIn: number }>;
  readonly estimatedSeconds: number;
  readonly note: string;
}

/** Handoff throughput per sending node measured on a loaded 2-core box (1–2.4k keys/s), for plan estimates only. */
const estimatedKeysPerSecond = 1500;

/**
 * Cluster changes as Riak's plan/commit: stage join/leave/remove on the node
 * you talk to, look at the plan (what would move, and what it costs), commit
 * it as a new ring epoch that gossip spreads.
 */
export class ClusterAdmin {
  private join: Member[] = [];
  private leave: string[] = [];
  private remove: string[] = [];

  constructor(private readonly node: RingkvNode) {}

  stage(op: StagedOp, id: string): RingChange {
    const { view, membership } = this.node;
    const ring = view.ringState;
    const inRing = ring.members.some((m) => m.id === id);
    if (op === 'join') {
      const info = view.member(id);
      if (info === undefined) throw new RingkvError('BAD_REQUEST', `${id} is not known to this node yet: start it with --seeds pointing at the cluster first`);
      if (inRing && ring.epoch > 0) throw new RingkvError('BAD_REQUEST', `${id} already owns partitions`);
      if (!this.join.some((m) => m.id === id)) this.join.push({ id, weight: info.weight });
    } else {
      if (!inRing) throw new RingkvError('BAD_REQUEST', `${id} is not a member of the ring`);
      if (op === 'remove' && membership.isUp(id, this.node.deps.clock.now())) {
        throw new RingkvError('BAD_REQUEST', `${id} is alive: use leave (it hands its partitions off); remove is for a node that is gone for good`);
      }
      const list = op === 'leave' ? this.leave : this.remove;
      if (!list.includes(id)) list.push(id);
    }
    return this.staged();
  }

  clear(): void {
    this.join = [];
    this.leave = [];
    this.remove = [];
  }

  staged(): RingChange {
    return { join: [...this.join], leave: [...this.leave], remove: [...this.remove] };
  }

  async plan(): Promise<PlanSummary> {
    const { view } = this.node;
    let plan;
    try {
      plan = planChange(this.sealed(), this.staged(), view.self.id);
    } catch (err) {
      throw new RingkvError('BAD_REQUEST', (err as Error).message);
    }
    const perPartition = await this.keysPerPartitionEstimate();
    const nodes: PlanSummary['nodes'] = {};
    const entry = (id: string) => (nodes[id] ??= { partitionsIn: 0, partitionsOut: 0, keysIn: 0, bytesIn: 0 });
    const bySource = new Map<string, number>();
    for (const t of plan.transfers) {
      const to = entry(t.to);
      to.partitionsIn++;
      to.keysIn += perPartition.keys;
      to.bytesIn += perPartition.keys * perPartition.bytesPerKey;
      const src = t.sources[0];
      if (src !== undefined) {
        entry(src).partitionsOut++;
        bySource.set(src, (bySource.get(src) ?? 0) + perPartition.keys);
      }
    }
    for (const e of Object.values(nodes)) {
      e.keysIn = Math.round(e.keysIn);
      e.bytesIn = Math.round(e.bytesIn);
    }
    const slowest = Math.max(0, ...bySource.values());
    return {
      epoch: view.ringState.epoch,
      nextEpoch: plan.next.epoch,
      staged: this.staged(),
      ownersMoved: plan.ownersMoved,
      transfers: plan.transfers.length,
      nodes,
      estimatedSeconds: Math.ceil(slowest / estimatedKeysPerSecond),
      note: 'keys and bytes are estimated from this node\'s average per partition; ownersMoved is exact (the minimum a balanced claim allows)',
    };
  }

  async commit(): Promise<PlanSummary> {
    const summary = await this.plan();
    await this.assertRingReady();
    const plan = planChange(this.sealed(), this.staged(), this.node.view.self.id);
    this.node.view.learnRing(plan.next);
    this.clear();
    this.node.deps.logger.info({ epoch: plan.next.epoch, ownersMoved: plan.ownersMoved, transfers: plan.transfers.length }, 'ring change committed');
    return summary;
  }

  status(): Record<string, unknown> {
    const { view, ownership } = this.node;
    const state = view.ringState;
    const all = transfersOf(state);
    const pending: Transfer[] = pendingTransfers(state);
    const now = this.node.deps.clock.now();
    return {
      epoch: state.epoch,
      members: state.members,
      staged: this.staged(),
      transfers: { total: all.length, done: all.length - pending.length, pending: pending.length },
      pendingSample: pending.slice(0, 20).map((t) => ({ partition: t.partition, to: t.to, from: t.sources[0] ?? null })),
      sending: [...ownership.active.values()].map((a) => ({
        ...a,
        keysPerSecond: Math.round((a.keysSent * 1000) / Math.max(1, now - a.startedAt)),
      })),
      handoffTotals: { ...ownership.totals },
    };
  }

  /**
   * Refuses to commit unless every member (ring members and nodes joining) is
   * reachable and holds the same ring epoch as we do: a change committed on
   * one side of a partition would give the two sides different replicas, and
   * W+R>N would no longer make reads meet writes.
   */
  private async assertRingReady(): Promise<void> {
    const { view, deps } = this.node;
    const mine = view.ringState;
    const ids = new Set([...mine.members.map((m) => m.id), ...this.join.map((m) => m.id)]);
    ids.delete(view.self.id);
    // A node being removed is gone for good: it cannot answer, and need not.
    for (const id of this.remove) ids.delete(id);
    const problems: string[] = [];
    await Promise.all(
      [...ids].map(async (id) => {
        const member = view.member(id);
        if (member === undefined) return void problems.push(`${id} is unknown`);
        try {
          const res = await deps.transport.request(member.rpc, RPC_OPS.ringVersion, {}, deps.requestTimeoutMs);
          const b = (res.ok ? res.body : undefined) as { epoch?: unknown; author?: unknown } | undefined;
          if (b === undefined) problems.push(`${id} did not answer`);
          else if (mine.epoch > 0 && (b.epoch !== mine.epoch || b.author !== mine.author)) problems.push(`${id} holds ring epoch ${String(b.epoch)}, not ${mine.epoch}`);
        } catch (err) {
          problems.push(`${id} is unreachable (${(err as Error).message})`);
        }
      }),
    );
    if (problems.length > 0) throw new RingkvError('UNAVAILABLE', `ring not ready for a change: ${problems.sort().join('; ')}`);
  }

  /** The epoch-0 bootstrap ring as a committable state (the first commit seals it). */
  private sealed() {
    return this.node.view.ringState;
  }

  private async keysPerPartitionEstimate(): Promise<{ keys: number; bytesPerKey: number }> {
    const store = this.node.replica.store;
    const held = this.node.antiEntropy.partitionsReplicated().length || 1;
    const keys = (await this.node.trees.countRecords()) / held;
    let sample = 0;
    let bytes = 0;
    for (const p of this.node.antiEntropy.partitionsReplicated().slice(0, 4)) {
      for await (const r of store.scanPartition(p, { limit: 25 })) {
        sample++;
        bytes += r.bytes.length + r.key.length;
      }
    }
    return { keys, bytesPerKey: sample === 0 ? 0 : bytes / sample };
  }
}
