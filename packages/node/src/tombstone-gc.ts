import { dotsLeq, isDeleted, type Clock, type Dots, type KvRecord, type Transport } from '@ringkv/core';
import { AE_OPS } from './anti-entropy-ops.js';
import type { AntiEntropy } from './anti-entropy.js';
import type { ClusterView } from './cluster-view.js';
import type { Logger } from './logger.js';
import type { ReplicaService } from './replica-service.js';
import { partitionKeyId } from './partition-key-id.js';

export interface TombstoneGcStats {
  reaped: number;
  /**
   * collections skipped because some node held (or might hold) hints for the
   * partition, or its data without being one of its primaries (an old owner draining it)
   */
  blockedByHints: number;
}

interface Candidate {
  readonly key: Uint8Array;
  /** local time this node first held the key as a tombstone only */
  readonly seenAt: number;
}

/**
 * Collects tombstones without ever letting a deleted key come back. A
 * tombstone is reaped only when (1) every other primary of its partition
 * completed an anti-entropy exchange with this node that started after this
 * node held the tombstone — so each holds it or something newer; (2) no node
 * of the cluster holds a hinted copy for the partition (a hint could carry
 * the old value back), nor its data without being one of its primaries (an
 * old owner still draining it after a ring change flushes the writes it took
 * to the new replicas, old versions included: simulator seed 315 with
 * counters), which every member must confirm, so an unreachable member
 * blocks collection; and (3) a grace period passed (messages in
 * flight, such as a slow read repair, are long gone). Time alone never
 * suffices: this is what Cassandra's gc_grace gets wrong when repair runs late.
 */
export class TombstoneGc {
  private readonly candidates = new Map<number, Map<string, Candidate>>();
  /**
   * Tombstones collected here recently: a fellow that has not collected its
   * copy yet would otherwise send it straight back through anti-entropy, and
   * collection would never settle.
   */
  private readonly collected = new Map<string, { readonly history: Dots; readonly at: number }>();
  readonly stats: TombstoneGcStats = { reaped: 0, blockedByHints: 0 };

  constructor(
    private readonly deps: {
      readonly view: ClusterView;
      readonly replica: ReplicaService;
      readonly ae: AntiEntropy;
      readonly transport: Transport;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly graceMs: number;
      readonly requestTimeoutMs: number;
    },
  ) {}

  /** Follows every stored record: tombstone-only keys become candidates, anything else stops being one. */
  track(partition: number, key: Uint8Array, record: KvRecord | undefined): void {
    const id = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
    const inPartition = this.candidates.get(partition);
    if (record !== undefined && isDeleted(record)) {
      const map = inPartition ?? new Map<string, Candidate>();
      if (!map.has(id)) map.set(id, { key: new Uint8Array(key), seenAt: this.deps.clock.now() });
      this.candidates.set(partition, map);
    } else if (inPartition?.delete(id) === true && inPartition.size === 0) {
      this.candidates.delete(partition);
    }
  }

  get pending(): number {
    let n = 0;
    for (const m of this.candidates.values()) n += m.size;
    return n;
  }

  pendingIn(partition: number): number {
    return this.candidates.get(partition)?.size ?? 0;
  }

  /**
   * The "safe to collect up to" mark of a partition (local time): tombstones
   * held since before it are on every primary. 0 = nothing is safe yet.
   */
  safeMark(partition: number): number {
    const { view, ae } = this.deps;
    const primaries = view.preferenceList(partition);
    if (!primaries.includes(view.self.id)) return 0;
    let mark = Number.POSITIVE_INFINITY;
    for (const fellow of primaries) if (fellow !== view.self.id) mark = Math.min(mark, ae.lastFullExchange(partition, fellow));
    return mark === Number.POSITIVE_INFINITY ? this.deps.clock.now() : mark;
  }

  /** Reaps what is safe in one partition (called after each anti-entropy exchange). */
  async collect(partition: number): Promise<number> {
    const cands = this.candidates.get(partition);
    if (cands === undefined || cands.size === 0) return 0;
    const now = this.deps.clock.now();
    const mark = this.safeMark(partition);
    const eligible = [...cands.values()].filter((c) => c.seenAt < mark && now - c.seenAt >= this.deps.graceMs);
    if (eligible.length === 0) return 0;
    if (!(await this.noStrayCopiesAnywhere(partition))) {
      this.stats.blockedByHints++;
      return 0;
    }
    let reaped = 0;
    for (const c of eligible) {
      const rec = await this.deps.replica.read(partition, c.key);
      if (rec === undefined || !isDeleted(rec)) continue;
      if (await this.deps.replica.reapTombstone(partition, c.key, rec)) {
        reaped++;
        this.collected.set(collectedId(partition, c.key), { history: rec.history, at: now });
      }
    }
    this.forgetOldCollected(now);
    this.stats.reaped += reaped;
    return reaped;
  }

  /** Whether an incoming tombstone-only record is one we collected (its history within what we reaped). */
  alreadyCollected(partition: number, key: Uint8Array, record: KvRecord): boolean {
    if (!isDeleted(record)) return false;
    const c = this.collected.get(collectedId(partition, key));
    return c !== undefined && dotsLeq(record.history, c.history);
  }

  /** Fellows collect within a few exchange rounds; after that, remembering costs memory for nothing. */
  private forgetOldCollected(now: number): void {
    const keepMs = Math.max(this.deps.graceMs * 10, 600_000);
    for (const [id, c] of this.collected) if (now - c.at > keepMs) this.collected.delete(id);
  }

  /**
   * True only if this node holds no hint for the partition and every other
   * member answered that it holds neither hints for it nor its data outside
   * our primaries of it.
   */
  private async noStrayCopiesAnywhere(partition: number): Promise<boolean> {
    const { view, transport, replica, requestTimeoutMs } = this.deps;
    if (await replica.store.hasHints(partition)) return false;
    const others = [...view.members.values()].filter((m) => m.id !== view.self.id);
    const prim = view.preferenceList(partition);
    const answers = await Promise.all(
      others.map(async (m) => {
        try {
          const res = await transport.request(m.rpc, AE_OPS.hintsAny, { p: partition, prim }, requestTimeoutMs);
          return res.ok && (res.body as { any?: unknown } | null)?.any === false;
        } catch {
          return false;
        }
      }),
    );
    return answers.every(Boolean);
  }
}

const collectedId = partitionKeyId;
