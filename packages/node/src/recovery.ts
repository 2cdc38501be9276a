import { CorruptMetaError, recoveringMetaName, type ReplicaStore } from '@ringkv/storage';
import type { Logger } from './logger.js';

const recoveringMeta = recoveringMetaName;

/**
 * A node that comes back with an empty store under an identity the cluster
 * already knew (a wiped or replaced disk) has lost data it is a replica of.
 * Until anti-entropy has exchanged every partition it replicates with every
 * fellow replica, it must not answer reads — its "not found" would be a lie
 * that could satisfy R — so replica reads to it fail and the coordinator asks
 * a fallback. Every fellow, not just one: the one it synced with may itself
 * have missed a write that only the lost disk and another replica held.
 * The state is persisted, so a restart half way through resumes it.
 */
export class Recovery {
  /** "partition>fellow" pairs still to exchange, on the ring as this node knows it now */
  private pending = new Set<string>();
  /** pairs exchanged since this recovery began: valid whatever ring they were counted on */
  private done = new Set<string>();
  private started = 0;
  active = false;

  constructor(
    private readonly store: ReplicaStore,
    private readonly logger: Logger,
    private readonly freshStore: boolean,
    /** the (partition, fellow replica) pairs this node must exchange */
    private readonly pairs: () => { partition: number; fellow: string }[],
    private readonly now: () => number,
    /** the committed ring epoch this node knows (0: none yet, its ring is made up from the members it knows) */
    private readonly ringEpoch: () => number,
    /** whether this node is the whole cluster (no other member known, no seed but itself): nothing to recover from */
    private readonly alone: () => boolean = () => false,
  ) {}

  /** Resumes a recovery a previous run did not finish. */
  async init(): Promise<void> {
    // A damaged flag counts as set: recovering again costs exchanges, serving reads from a store
    // that is still missing data would answer "absent" for acknowledged writes.
    const flag = await this.store.getMeta(recoveringMeta).catch((err: unknown) => {
      if (!(err instanceof CorruptMetaError)) throw err;
      return new Uint8Array([1]);
    });
    if (flag !== undefined) {
      this.begin('its store is missing data: a recovery not finished before a restart, or an offline repair-store');
      await this.finishIfNothingLeft();
    }
  }

  /** A peer knew this node before its store was created: the store lost data. */
  async noticePreviousLife(): Promise<void> {
    if (!this.freshStore || this.active || this.started !== 0) return;
    this.begin('the cluster knew this node before; its store is new');
    await this.store.putMeta(recoveringMeta, new Uint8Array([1]));
    await this.finishIfNothingLeft();
  }

  /**
   * The ring changed: what is left is recounted on the new one, minus what was
   * already exchanged. A recovery begun before this node knew the committed
   * ring (a fresh store learns it by gossip, maybe just after hearing that it
   * lost data) counted pairs on a ring made up from the members it knew —
   * often none, and then it never ended (simulator seeds 5, 18, 32, 59:
   * "exchanges: 0", reads refused for good). Pairs of partitions this node no
   * longer replicates drop out (reads for those are refused anyway:
   * NOT_REPLICA); a fellow that replaced another joins the pairs.
   */
  async ringChanged(): Promise<void> {
    if (!this.active) return;
    this.recount();
    await this.finishIfNothingLeft();
  }

  /**
   * Whether a read from a coordinator on committed ring `coordinatorEpoch` must
   * be refused although no recovery runs (yet): our store is new and we have
   * not learnt any committed ring, so we cannot know whether the cluster knew
   * us before — that is told by the same gossip that brings the ring. Until
   * then our "not found" could be a lost disk talking (simulator seed 7665: a
   * wiped node, restarted while cut off with one stale replica, answered that
   * replica's read before any peer could tell it that it had lost data). In a
   * cluster that never committed a ring (epoch 0 everywhere) nobody is refused.
   */
  unsettled(coordinatorEpoch: number, ownEpoch: number): boolean {
    return this.freshStore && ownEpoch === 0 && coordinatorEpoch > 0;
  }

  /** An anti-entropy exchange of the partition with `fellow` completed. */
  async exchanged(partition: number, fellow: string): Promise<void> {
    if (!this.active) return;
    const pair = `${partition}>${fellow}`;
    this.done.add(pair);
    if (this.pending.delete(pair) && this.pending.size === 0) await this.finish();
  }

  /**
   * Ends a recovery that has nothing (left) to exchange without having just
   * exchanged — only on a committed ring, which says what this node
   * replicates; an empty list on a ring made up from the few members known
   * so far proves nothing.
   */
  private async finishIfNothingLeft(): Promise<void> {
    if (this.active && this.pending.size === 0 && (this.ringEpoch() > 0 || this.alone())) await this.finish();
  }

  /** The pairs left: those on the ring as known now, less those already exchanged. */
  private recount(): void {
    this.pending = new Set(this.pairs().map((x) => `${x.partition}>${x.fellow}`).filter((pair) => !this.done.has(pair)));
  }

  private async finish(): Promise<void> {
    this.active = false;
    await this.store.deleteMeta(recoveringMeta);
    this.logger.info({ tookMs: this.now() - this.started }, 'recovery complete: serving reads again');
  }

  /** Partitions with at least one fellow still to exchange. */
  get partitionsLeft(): number {
    return this.active ? new Set([...this.pending].map((k) => k.split('>')[0])).size : 0;
  }

  private begin(why: string): void {
    this.active = true;
    this.started = this.now();
    this.done.clear();
    this.recount();
    this.logger.warn({ exchanges: this.pending.size, why }, 'recovering: reads refused until anti-entropy has synchronised every partition with every fellow');
  }
}
