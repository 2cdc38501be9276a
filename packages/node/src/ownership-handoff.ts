import { markDone, pendingTransfers, type Clock, type KvRecord, type Transfer } from '@ringkv/core';
import { CorruptMetaError } from '@ringkv/storage';
import type { ClusterView } from './cluster-view.js';
import type { Logger } from './logger.js';
import { PeriodicTask } from './periodic-task.js';
import type { PartitionTrees } from './partition-trees.js';
import type { ReplicaClient } from './replica-client.js';
import type { ReplicaService } from './replica-service.js';

export interface OwnershipHandoffSettings {
  readonly intervalMs: number;
  readonly batchCountMax: number;
  readonly requestTimeoutMs: number;
  /** how long a partition this node gave up is kept (and writes to it forwarded) before its data is dropped */
  readonly drainMs: number;
  /** pause between two batches of one transfer (the rate limit: batchCountMax per pause) */
  readonly batchPauseMs: number;
}

export interface TransferProgress {
  readonly id: string;
  readonly partition: number;
  readonly to: string;
  keysSent: number;
  bytesSent: number;
  startedAt: number;
}

export interface HandoffTotals {
  transfersDone: number;
  keysSent: number;
  bytesSent: number;
  partitionsDropped: number;
  keysDropped: number;
}

const checkpointName = (epoch: number, t: Transfer): string => `xfer-${epoch}-${t.partition}-${t.to}`.slice(0, 64);

/**
 * Moves partitions when the ring changes (join, leave, remove). The sending
 * replica streams the partition to its new replica in key order, in batches,
 * checkpointing the last key sent, so a timeout or a restart of either side
 * resumes where it stopped. Every write the source takes meanwhile is marked
 * dirty (durably) and sent again, so no acknowledged write is lost; only then
 * is the transfer marked done in the ring state, which switches the
 * partition's replicas everywhere by gossip. A node that gave a partition up
 * keeps it for a drain period (forwarding what still arrives) and then drops it.
 */
export class OwnershipHandoff {
  readonly active = new Map<string, TransferProgress>();
  readonly totals: HandoffTotals = { transfersDone: 0, keysSent: 0, bytesSent: 0, partitionsDropped: 0, keysDropped: 0 };
  private readonly foreignSince = new Map<number, number>();
  /** partitions this node is sending, and receiving (cached: consulted on every write) */
  private sending = new Set<number>();
  private receiving = new Set<number>();
  private epoch = -1;
  private readonly task: PeriodicTask;

  constructor(
    private readonly deps: {
      readonly view: ClusterView;
      readonly replica: ReplicaService;
      readonly trees: PartitionTrees;
      readonly peers: ReplicaClient;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly isUp: (id: string) => boolean;
      /**
       * One anti-entropy exchange of a partition with a peer (AntiEntropy.exchange): sends it
       * every key whose record differs from ours, merges theirs here. Rejects if it failed.
       */
      readonly reconcile: (partition: number, peer: string) => Promise<unknown>;
      readonly settings: OwnershipHandoffSettings;
    },
  ) {
    // Writes to a partition we send, or hold without being its replica (a stale coordinator's), must travel on.
    deps.replica.handingOff = (p) =>
      this.sending.has(p) ||
      (!this.receiving.has(p) && deps.view.ringState.epoch > 0 && !deps.view.preferenceList(p).includes(deps.view.self.id));
    deps.view.onRingChange(() => this.refreshSending());
    this.task = new PeriodicTask(deps.clock, () => deps.settings.intervalMs, () => this.round(), (err) =>
      deps.logger.warn({ err: String(err) }, 'ownership handoff round failed'),
    );
  }

  private refreshSending(): void {
    const self = this.deps.view.self.id;
    const state = this.deps.view.ringState;
    const pending = pendingTransfers(state);
    this.sending = new Set(pending.filter((t) => this.sourceOf(t) === self).map((t) => t.partition));
    this.receiving = new Set(pending.filter((t) => t.to === self).map((t) => t.partition));
    // A new epoch restarts every drain clock: what was foreign before may be ours again.
    if (state.epoch !== this.epoch) {
      this.epoch = state.epoch;
      this.foreignSince.clear();
    }
  }

  start(): void {
    this.task.start();
  }

  async stop(): Promise<void> {
    await this.task.stop();
  }


  /** The first source that is up sends (every node computes the same choice from the same view). */
  private sourceOf(t: Transfer): string | undefined {
    return t.sources.find((s) => s === this.deps.view.self.id || this.deps.isUp(s));
  }

  /** One round: run this node's pending transfers, then drop what it no longer replicates. */
  async round(): Promise<void> {
    const state = this.deps.view.ringState;
    this.refreshSending();
    for (const t of pendingTransfers(state)) {
      if (this.task.stopped) return;
      if (this.sourceOf(t) !== this.deps.view.self.id || !this.deps.isUp(t.to)) continue;
      try {
        await this.transfer(t, state.epoch);
      } catch (err) {
        this.deps.logger.warn({ transfer: t.id, err: String(err) }, 'transfer interrupted; will resume from its checkpoint');
      }
    }
    if (state.epoch > 0) await this.dropGivenUp();
  }

  private async transfer(t: Transfer, epoch: number): Promise<void> {
    const { replica, peers, settings, clock, view, logger } = this.deps;
    const cp = checkpointName(epoch, t);
    // A damaged checkpoint only costs resending the partition from its start (merges are idempotent);
    // so does one without the envelope (written before checksums), which nothing could tell from a damaged one.
    const saved = await replica.store.getMeta(cp, { sealedOnly: true }).catch((err: unknown) => {
      if (!(err instanceof CorruptMetaError)) throw err;
      logger.warn({ transfer: t.id, err: err.message }, 'transfer checkpoint damaged; resending the partition from its start');
      return undefined;
    });
    let after: Uint8Array | undefined = saved === undefined || saved.length === 0 ? undefined : new Uint8Array(saved);
    const progress = this.active.get(t.id) ?? { id: t.id, partition: t.partition, to: t.to, keysSent: 0, bytesSent: 0, startedAt: clock.now() };
    this.active.set(t.id, progress);
    for (;;) {
      const batch: { p: number; k: Uint8Array; rec: KvRecord }[] = [];
      let bytes = 0;
      for await (const { key, bytes: b } of replica.store.scanPartition(t.partition, after === undefined ? { limit: settings.batchCountMax } : { afterKey: after, limit: settings.batchCountMax })) {
        const k = new Uint8Array(key);
        const rec = await replica.read(t.partition, k);
        if (rec !== undefined) batch.push({ p: t.partition, k, rec });
        bytes += b.length;
        after = k;
      }
      if (batch.length === 0) break;
      await peers.putBatch(t.to, batch, settings.requestTimeoutMs);
      await replica.store.putMeta(cp, after ?? new Uint8Array(), { sync: false });
      progress.keysSent += batch.length;
      progress.bytesSent += bytes;
      this.totals.keysSent += batch.length;
      this.totals.bytesSent += bytes;
      if (this.task.stopped) return;
      // Rate limit: a short pause between batches leaves room for client traffic.
      await new Promise<void>((r) => void clock.setTimer(settings.batchPauseMs, r));
    }
    // The last dirty keys and the switch happen with writes to the partition paused here,
    // so no write can land between them; later ones find us no longer a replica and travel on.
    await this.deps.trees.paused(t.partition, async () => {
      // No write can mark a key while the partition is paused: no key locks needed (and taking
      // one here could wait on a writer that waits on the pause).
      await this.flushDirty(t.partition, [t.to], false);
      view.learnRing(markDone(view.ringState, [t.id]));
    });
    this.active.delete(t.id);
    this.totals.transfersDone++;
    await replica.store.deleteMeta(cp);
    logger.info({ transfer: t.id, keys: progress.keysSent, ms: clock.now() - progress.startedAt }, 'transfer done');
  }

  /** Sends every key written here since the scan passed it, clearing each mark only if no newer write re-marked it. */
  private async flushDirty(partition: number, targets: readonly string[], lock = true): Promise<void> {
    const { replica, peers, settings } = this.deps;
    for (;;) {
      const keys: Uint8Array[] = [];
      for await (const k of replica.store.scanDirty(partition, settings.batchCountMax)) keys.push(new Uint8Array(k));
      if (keys.length === 0) return;
      const read = [];
      for (const k of keys) {
        const stamp = await replica.store.getDirty(partition, k);
        read.push({ p: partition, k, rec: await replica.read(partition, k), stamp });
      }
      const items = read.filter((i): i is typeof i & { rec: KvRecord } => i.rec !== undefined);
      if (items.length > 0) for (const to of targets) await peers.putBatch(to, items, settings.requestTimeoutMs);
      // Clear each mark unless a newer write re-marked the key meanwhile (its stamp moved on).
      for (const i of read) {
        const clear = async (): Promise<void> => {
          if ((await replica.store.getDirty(partition, i.k)) === i.stamp) await replica.store.deleteDirty(partition, i.k);
        };
        await (lock ? replica.withKeyLock(partition, i.k, clear) : clear());
      }
    }
  }

  /**
   * Before a partition this node gave up is dropped, its copy is compared with
   * the new replicas' (one anti-entropy exchange each, a single request when
   * the trees are equal) and whatever they lack is sent. Dirty marks cover
   * only writes taken while this node knew it was handing the partition off;
   * a node cut off while the ring changed went on taking writes as a replica
   * of the old ring, unmarked, and acknowledged them (alone with w=1, or with
   * another stale replica): dropped unsent, they were lost (simulator seed
   * 100611, pauses and bridges). Drops only once at least one new replica has
   * everything (anti-entropy spreads it to the others); otherwise keeps the
   * data and tries again next round.
   */
  private async reconciledBeforeDrop(p: number, replicas: readonly string[]): Promise<boolean> {
    const { view, isUp, reconcile, logger } = this.deps;
    let reconciled = 0;
    for (const peer of replicas) {
      if (peer === view.self.id || !isUp(peer)) continue;
      try {
        await reconcile(p, peer);
        reconciled++;
      } catch (err) {
        logger.warn({ partition: p, peer, err: String(err) }, 'could not compare a given-up partition with its new replica; keeping it for now');
      }
    }
    return reconciled > 0;
  }

  /** Partitions this node no longer replicates: forward late writes for a while, then drop the data. */
  private async dropGivenUp(): Promise<void> {
    const { view, replica, clock, settings, logger } = this.deps;
    const now = clock.now();
    for (let p = 0; p < view.params.partitionCount; p++) {
      const replicas = view.preferenceList(p);
      // Not ours to drop: we replicate it, are sending it, or are receiving it (not a replica until it switches).
      if (replicas.includes(view.self.id) || this.sending.has(p) || this.receiving.has(p)) {
        this.foreignSince.delete(p);
        continue;
      }
      if (!(await replica.store.hasData(p))) {
        this.foreignSince.delete(p);
        continue;
      }
      const since = this.foreignSince.get(p);
      if (since === undefined) {
        this.foreignSince.set(p, now);
        continue;
      }
      await this.flushDirty(p, replicas);
      if (now - since < settings.drainMs) continue;
      if (!(await this.reconciledBeforeDrop(p, replicas))) continue;
      const dropped = await replica.dropPartition(p);
      await this.flushDirty(p, replicas);
      this.foreignSince.delete(p);
      this.totals.partitionsDropped++;
      this.totals.keysDropped += dropped;
      logger.info({ partition: p, keys: dropped }, 'dropped a partition this node no longer replicates');
    }
  }

}
