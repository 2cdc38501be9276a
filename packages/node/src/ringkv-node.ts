import { LwwPrefixes, Membership, defaultMembershipSettings, type ClusterParams, type Clock, type MemberInfo, type Random, type Transport } from '@ringkv/core';
import type { CorruptMetaError, ReplicaStore } from '@ringkv/storage';
import { AntiEntropy } from './anti-entropy.js';
import { ClusterView } from './cluster-view.js';
import { Coordinator } from './coordinator.js';
import { HintedHandoff } from './hinted-handoff.js';
import type { Logger } from './logger.js';
import { saveReporter } from './save-reporter.js';
import { MemberGossip } from './member-gossip.js';
import { loadMembers, loadRing, saveMembers, saveRing } from './member-persistence.js';
import { ReplicaClient, ReplicaRefusal } from './replica-client.js';
import { ReplicaService } from './replica-service.js';
import { makeRpcHandler } from './rpc-handlers.js';
import { OwnershipHandoff } from './ownership-handoff.js';
import { PartitionTrees } from './partition-trees.js';
import { Recovery } from './recovery.js';
import { TombstoneGc } from './tombstone-gc.js';
import { ExpiryPurge, expiryPurgeDefaults } from './expiry-purge.js';
import { decodeRecord } from '@ringkv/core';
import { CorruptRecords, type RepairOutcome } from './corrupt-records.js';
import { PeriodicTask } from './periodic-task.js';
import { StoreScrub, type ScrubOutcome } from './store-scrub.js';
import { storeDamageAdvice } from './store-damage.js';

/** The ports and settings a node's logic runs on; real ones in a process, simulated ones in `sim`. */
export interface RingkvNodeDeps {
  readonly self: MemberInfo;
  /** version actor of this node's store generation, e.g. "n1#3" */
  readonly actor: string;
  readonly params: ClusterParams;
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport;
  readonly store: ReplicaStore;
  readonly logger: Logger;
  readonly seeds: readonly string[];
  readonly requestTimeoutMs: number;
  readonly gossipIntervalMs: number;
  readonly syncWrites: boolean;
  readonly handoffIntervalMs: number;
  readonly handoffBatchCountMax: number;
  /** pause between two anti-entropy exchanges */
  readonly aeIntervalMs: number;
  /** how long a tombstone stays after it is safe to collect (covers messages still in flight) */
  readonly tombstoneGraceMs: number;
  /** the store was created by this start (a new or wiped data dir) */
  readonly freshStore: boolean;
  /** key prefixes under the last-writer-wins policy (must be the same on every node); default none */
  readonly lwwPrefixes?: readonly string[];
  /** client writes that would leave a key with more siblings are refused (ReplicaOptions.siblingsMax) */
  readonly siblingsMax?: number;
  /** pause between two expiry purge rounds (default expiryPurgeDefaults.intervalMs) */
  readonly expiryPurgeIntervalMs?: number;
  /**
   * Persists a new actor generation (epoch) and returns its actor name: taken
   * when a stored copy that may hold this node's dots is lost to corruption.
   * Without it such a key is refused rather than repaired.
   */
  readonly renewActor?: () => Promise<string>;
  /** pause between two scrubs (every record's checksum read, trees rebuilt); 0 or unset: only on request */
  readonly scrubIntervalMs?: number;
  /** records a scrub reads per second at most (0 or unset: as fast as it can) */
  readonly scrubRecordsPerSec?: number;
}

/**
 * One node's logic, wired together but free of process concerns (sockets,
 * files, HTTP): the simulator runs many of these in one process.
 */
export class RingkvNode {
  readonly view: ClusterView;
  readonly membership: Membership;
  readonly replica: ReplicaService;
  readonly peers: ReplicaClient;
  readonly coordinator: Coordinator;
  readonly gossip: MemberGossip;
  readonly handoff: HintedHandoff;
  readonly trees: PartitionTrees;
  readonly antiEntropy: AntiEntropy;
  readonly gc: TombstoneGc;
  readonly recovery: Recovery;
  readonly ownership: OwnershipHandoff;
  readonly expiryPurge: ExpiryPurge;
  readonly corruptRecords: CorruptRecords;
  private readonly scrubTask: PeriodicTask;
  private readonly scrubber: StoreScrub;
  readonly startedAt: number;
  private stopped = false;
  private treesBuilt: Promise<void> | undefined;

  constructor(readonly deps: RingkvNodeDeps) {
    const { clock } = deps;
    this.startedAt = clock.now();
    this.view = new ClusterView(deps.self, deps.params);
    this.membership = new Membership(deps.self, defaultMembershipSettings(deps.gossipIntervalMs), clock.now());
    const isUp = (id: string): boolean => this.membership.isUp(id, clock.now());
    this.trees = new PartitionTrees(deps.store, deps.params.partitionCount, clock, deps.logger);
    this.replica = new ReplicaService(
      deps.store,
      deps.actor,
      {
        syncWrites: deps.syncWrites,
        now: () => clock.now(),
        lww: new LwwPrefixes(deps.lwwPrefixes ?? []),
        ...(deps.siblingsMax === undefined ? {} : { siblingsMax: deps.siblingsMax }),
        ...(deps.renewActor === undefined ? {} : { renewActor: deps.renewActor }),
      },
      this.trees,
    );
    this.corruptRecords = new CorruptRecords({
      clock,
      logger: deps.logger,
      repairKey: (p, key) => this.repairKey(p, key),
      rebuildTree: async (p) => void (await this.trees.build(p, this.observeStored)),
      retryMs: 30_000,
    });
    this.replica.onCorrupt = (e) => this.corruptRecords.found(e);
    // Scans (tree builds, handoff, backups) skip a corrupt copy and report it here.
    deps.store.onCorrupt = (e) =>
      void this.replica.reportCorrupt(e).catch((err: unknown) => deps.logger.error({ err: String(err) }, 'renewing the actor after a corrupt record failed'));
    this.scrubber = new StoreScrub({
      trees: this.trees,
      replica: this.replica,
      store: deps.store,
      corruptFound: () => this.corruptRecords.stats.records + this.corruptRecords.stats.hints,
      observe: (p, key, bytes) => this.observeStored(p, key, bytes),
      clock,
      logger: deps.logger,
      partitionCount: deps.params.partitionCount,
      recordsPerSec: deps.scrubRecordsPerSec ?? 0,
      stopped: () => this.stopped,
    });
    this.scrubTask = new PeriodicTask(
      clock,
      () => deps.scrubIntervalMs ?? 0,
      () => this.scrub(),
      (err) => deps.logger.error({ err: String(err) }, `scrub failed${storeDamageAdvice(err)}`),
    );
    this.expiryPurge = new ExpiryPurge({
      replica: this.replica,
      clock,
      logger: deps.logger,
      settings: { ...expiryPurgeDefaults, intervalMs: deps.expiryPurgeIntervalMs ?? expiryPurgeDefaults.intervalMs },
    });
    this.peers = new ReplicaClient(this.view, deps.transport, this.replica);
    this.coordinator = new Coordinator({
      view: this.view,
      replica: this.replica,
      peers: this.peers,
      clock,
      logger: deps.logger,
      requestTimeoutMs: deps.requestTimeoutMs,
      isUp,
      recovering: () => this.recovery.active,
      ringKnown: () => this.gossip.ringKnown(),
      startedAt: this.startedAt,
    });
    this.gossip = new MemberGossip({
      view: this.view,
      membership: this.membership,
      transport: deps.transport,
      clock,
      random: deps.random,
      logger: deps.logger,
      seeds: deps.seeds,
      intervalMs: deps.gossipIntervalMs,
    });
    this.handoff = new HintedHandoff({
      replica: this.replica,
      peers: this.peers,
      clock,
      logger: deps.logger,
      isUp,
      settings: { intervalMs: deps.handoffIntervalMs, batchCountMax: deps.handoffBatchCountMax, requestTimeoutMs: deps.requestTimeoutMs },
    });
    this.antiEntropy = new AntiEntropy({
      view: this.view,
      trees: this.trees,
      replica: this.replica,
      transport: deps.transport,
      clock,
      logger: deps.logger,
      isUp,
      settings: { intervalMs: deps.aeIntervalMs, requestTimeoutMs: deps.requestTimeoutMs },
    });
    this.gc = new TombstoneGc({
      view: this.view,
      replica: this.replica,
      ae: this.antiEntropy,
      transport: deps.transport,
      clock,
      logger: deps.logger,
      graceMs: deps.tombstoneGraceMs,
      requestTimeoutMs: deps.requestTimeoutMs,
    });
    this.ownership = new OwnershipHandoff({
      view: this.view,
      replica: this.replica,
      trees: this.trees,
      peers: this.peers,
      clock,
      logger: deps.logger,
      isUp,
      reconcile: (partition, peer) => this.antiEntropy.exchange(partition, peer),
      settings: {
        intervalMs: deps.handoffIntervalMs,
        batchCountMax: deps.handoffBatchCountMax,
        requestTimeoutMs: deps.requestTimeoutMs,
        drainMs: deps.gossipIntervalMs * 10,
        batchPauseMs: Math.max(1, Math.round(deps.handoffIntervalMs / 10)),
      },
    });
    this.recovery = new Recovery(
      deps.store,
      deps.logger,
      deps.freshStore,
      () =>
        this.antiEntropy
          .partitionsReplicated()
          .flatMap((p) => this.view.preferenceList(p).filter((f) => f !== deps.self.id).map((fellow) => ({ partition: p, fellow }))),
      () => clock.now(),
      () => this.view.ringState.epoch,
      () => !this.gossip.ringLost && this.view.members.size <= 1 && deps.seeds.every((s) => s === deps.self.rpc),
    );
    this.view.onRingChange(() => void this.recovery.ringChanged().catch((err: unknown) => deps.logger.error({ err: String(err) }, 'recovery bookkeeping failed')));
    this.replica.onStore((p, key, record) => this.gc.track(p, key, record));
    this.replica.alreadyCollected = (p, key, record) => this.gc.alreadyCollected(p, key, record);
    this.antiEntropy.afterExchange = async (p, peer) => {
      await this.recovery.exchanged(p, peer);
      await this.gc.collect(p);
    };
    this.gossip.onPreviousLife = () => this.recovery.noticePreviousLife();
    this.antiEntropy.urgent = () => this.recovery.active;
  }

  /** Starts serving inter-node requests, gossiping and delivering hints. */
  async start(): Promise<void> {
    const floorLost = await this.replica.init();
    if (floorLost !== undefined) {
      this.deps.logger.error({ err: floorLost.message, actor: this.replica.actor }, `${floorLost.message}; took a new actor, under which no dot exists yet; check this node's disk`);
    }
    const report = (what: string) => (err: CorruptMetaError): void =>
      this.deps.logger.error({ err: err.message }, `${err.message}; ${what}; check this node's disk`);
    let ringLost = false;
    const ring = await loadRing(this.deps.store, (err) => {
      ringLost = true;
      report(
        'starting without it and without the saved members: this node coordinates once a committed ring reaches it from another node ' +
          '(a single-node cluster: commit its ring again, `ringkv cluster commit`)',
      )(err);
    });
    this.gossip.ringLost = ringLost;
    // Without the ring, the saved members would let the node believe it knows the cluster (ringKnown) and
    // coordinate on a ring made up from them: it starts from its seeds alone, as a new node does.
    const saved = ringLost ? [] : await loadMembers(this.deps.store, report('starting without it: the members are learnt again from the seeds'));
    const known = saved.filter((m) => m.id !== this.deps.self.id);
    this.membership.merge(known.map((info) => ({ info, heartbeat: 0 })), this.deps.clock.now());
    this.view.learn(known);
    if (ring !== undefined) this.view.learnRing(ring);
    // After the ring and members are known: whether this node is alone (nothing to recover from) depends on them.
    await this.recovery.init();
    const reportMembersSave = saveReporter(this.deps.logger, 'member table');
    const reportRingSave = saveReporter(this.deps.logger, 'ring state');
    this.view.onMembersChange(() => reportMembersSave(saveMembers(this.deps.store, this.view.members.values())));
    this.view.onRingChange(() => reportRingSave(saveRing(this.deps.store, this.view.ringState)));
    await this.deps.transport.listen(
      makeRpcHandler({
        view: this.view,
        replica: this.replica,
        coordinator: this.coordinator,
        gossip: this.gossip,
        antiEntropy: this.antiEntropy,
        recovery: this.recovery,
        dedupeKeepMs: this.deps.requestTimeoutMs * 10,
        now: () => this.deps.clock.now(),
        partitionCount: this.deps.params.partitionCount,
        logger: this.deps.logger,
      }),
    );
    this.gossip.start();
    this.handoff.start();
    this.ownership.start();
    this.expiryPurge.start();
    // Trees are built in the background; anti-entropy starts once they are.
    this.treesBuilt = this.trees
      .buildAll(this.observeStored, () => this.stopped)
      .then(() => {
        if (this.stopped) return;
        this.antiEntropy.start();
        if ((this.deps.scrubIntervalMs ?? 0) > 0) this.scrubTask.start();
      })
      .catch((err: unknown) => this.deps.logger.error({ err: String(err) }, `building merkle trees failed${storeDamageAdvice(err)}`));
  }

  /** Every record a tree build reads: tombstone GC keeps its candidates this way. */
  private readonly observeStored = (p: number, key: Uint8Array, bytes: Uint8Array): void => this.gc.track(p, key, decodeRecord(bytes));

  /** Reads every stored record now, checking its checksum (store-scrub.ts); joins one under way. */
  scrub(): Promise<ScrubOutcome> {
    return this.scrubber.run();
  }

  /**
   * corrupt-records' repair of one key: what every other replica of the
   * partition holds replaces the corrupt copy (replaceCorrupt). Only once all
   * of them answered: a version this replica acknowledged with one other is
   * then surely among the answers. They answer with whatever they hold even
   * while recovering (`forRepair`): a partial copy adds what it has, and a
   * recovering replica would otherwise wait for this one's exchanges while
   * this one waits for its answer (search seeds 160315, 160331, 160358).
   * 'retry' when some did not answer: the copy stays refused and is tried again later.
   */
  private async repairKey(partition: number, key: Uint8Array): Promise<RepairOutcome> {
    const others = this.view.preferenceList(partition).filter((id) => id !== this.deps.self.id);
    const fetched = await Promise.all(
      others.map((node) =>
        this.peers.get({ node, primary: true }, partition, key, this.deps.requestTimeoutMs, undefined, true).then(
          (copy) => ({ answered: true, rec: copy.rec }),
          // Corrupt there too: an answer (it holds nothing it can give), or two damaged copies would wait
          // for each other forever. Versions only the two of them held are lost with both disks.
          // Down, slow, or not (or no longer) a replica: no answer.
          (err: unknown) => ({ answered: err instanceof ReplicaRefusal && err.code === 'CORRUPT_RECORD', rec: undefined }),
        ),
      ),
    );
    if (fetched.some((f) => !f.answered)) return 'retry';
    return (await this.replica.replaceCorrupt(partition, key, fetched.flatMap((f) => (f.rec === undefined ? [] : [f.rec])))) ? 'replaced' : 'intact';
  }

  /** Resolves when every partition's Merkle tree is built (tests, status). */
  whenTreesBuilt(): Promise<void> {
    return this.treesBuilt ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.gossip.stop();
    await this.handoff.stop();
    await this.ownership.stop();
    await this.expiryPurge.stop();
    await this.scrubTask.stop();
    // one started by POST /admin/scrub: it ends at its next step, before the store closes under it
    await this.scrubber.settled();
    await this.corruptRecords.stop();
    await this.antiEntropy.stop();
    await this.deps.transport.close();
  }
}
