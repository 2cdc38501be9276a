import {
  RingkvError,
  TransportError,
  decodeContext,
  emptyDots,
  mergeRecords,
  nextFallback,
  partitionOfKey,
  recordEquals,
  recordToWire,
  sloppyPreferenceList,
  type Clock,
  type Dot,
  type Dots,
  type KvRecord,
  type ReplicaTarget,
} from '@ringkv/core';
import { CorruptRecordError, StoreDamagedError, StoreFullError } from '@ringkv/storage';
import type { ClusterView } from './cluster-view.js';
import type { Logger } from './logger.js';
import { callQuorum, type Answer } from './quorum-call.js';
import type { ReplicaClient, StoredCopy } from './replica-client.js';
import type { LocalWriteResult, ReplicaService } from './replica-service.js';
import { withSpares } from './speculative-read.js';
import { forwardWrite } from './write-forwarding.js';
import { forwardIncrement } from './counter-forwarding.js';
import { IncrementStep, type IncrementRequest, type IncrementResult } from './counter-increment.js';

import type { CoordinatorStats, ReadRequest, ReadResult, WriteRequest, WriteResult } from './coordinator-requests.js';

export type { CoordinatorStats, ReadRequest, ReadResult, WriteRequest, WriteResult } from './coordinator-requests.js';

export interface CoordinatorDeps {
  readonly view: ClusterView;
  readonly replica: ReplicaService;
  readonly peers: ReplicaClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  /** the failure detector's current opinion */
  readonly isUp: (id: string) => boolean;
  /** this node lost its data and must not answer reads yet */
  readonly recovering: () => boolean;
  /** this node knows the cluster's ring (see MemberGossip.ringKnown); until then it refuses client requests */
  readonly ringKnown: () => boolean;
  /** when this node started (part of its request ids) */
  readonly startedAt: number;
}

/**
 * Runs client requests against the key's replicas (a sloppy quorum): the up
 * primaries, with the next up nodes on the ring standing in, with a hint, for
 * primaries that are down, fail or are slow. Answers after R replies or W
 * acks; repairs stale replicas after reads. Only a holder of the key may
 * create its new version (its dot must be numbered after every earlier one of
 * the same actor), so a node outside the list forwards writes to one in it.
 */
export class Coordinator {
  readonly stats: CoordinatorStats = { gets: 0, writes: 0, forwarded: 0, quorumFailures: 0, readRepairs: 0, fallbacksUsed: 0 };

  constructor(private readonly deps: CoordinatorDeps) {}

  private get selfId(): string {
    return this.deps.view.self.id;
  }

  private ridCounter = 0;

  /** Unique per coordinator life: node id, start time, a counter. */
  private requestId(): string {
    return `${this.selfId}.${this.deps.startedAt.toString(36)}.${(this.ridCounter++).toString(36)}`;
  }

  /**
   * Whether the partition's replicas were changing at any point of a request:
   * in transfer when it began or ended, or the ring recomputed meanwhile. A
   * write begun on the previous replicas whose transfer completes before the
   * acks arrive was acknowledged by replicas that may no longer be the ones a
   * reader asks, so W+R>N promises nothing for it (simulator seed 6523).
   */
  private ringMovedProbe(partition: number): () => boolean {
    const { view } = this.deps;
    const wasTransferring = view.transferring(partition);
    const listAtStart = view.preferenceList(partition);
    return () => wasTransferring || view.transferring(partition) || view.preferenceList(partition) !== listAtStart;
  }

  private assertRingKnown(): void {
    if (!this.deps.ringKnown()) {
      throw new RingkvError('UNAVAILABLE', 'this node has not yet heard the cluster ring from its seeds; try another node or retry shortly');
    }
  }

  /** The sloppy replica list of a partition, as the failure detector sees it now. */
  targetsFor(partition: number): ReplicaTarget[] {
    const { view, isUp } = this.deps;
    return sloppyPreferenceList(view.walk(partition), view.params.n, isUp);
  }

  async get(req: ReadRequest): Promise<ReadResult> {
    this.stats.gets++;
    this.assertRingKnown();
    const { view, clock, requestTimeoutMs } = this.deps;
    const partition = partitionOfKey(req.key, view.params.partitionCount);
    const ringMoved = this.ringMovedProbe(partition);
    const targets = this.targetsFor(partition);
    const used = new Set(targets.map((t) => t.node));
    const asked = this.readSlots(partition, targets, req);
    const spares = targets.filter((t) => !asked.includes(t));
    // This node's copy, once read: a replica answering the same bytes is not decoded again.
    let localCopy: StoredCopy | undefined;
    const readOp = async (t: ReplicaTarget, ms: number): Promise<{ rec: KvRecord | undefined; via: ReplicaTarget }> => {
      const ownData = t.node === this.selfId && t.hintFor === undefined;
      if (ownData && this.deps.recovering()) throw new Error('this replica is recovering lost data');
      const copy = await this.deps.peers.get(t, partition, req.key, ms, localCopy);
      if (ownData) localCopy = copy;
      return { rec: copy.rec, via: t };
    };
    const result = await callQuorum<{ rec: KvRecord | undefined; via: ReplicaTarget }>({
      targets: asked.map((t) => t.node),
      needed: req.r,
      primaryNeeded: req.pr,
      primaryTargets: new Set(asked.filter((t) => t.primary).map((t) => t.node)),
      timeoutMs: requestTimeoutMs,
      clock,
      call: (node, timeoutMs) => this.readSlot(partition, targetOf(asked, node), spares, used, timeoutMs, readOp),
    });
    if (result.outcome !== 'met') {
      // Report how many actually answered, not how many had when the quorum became impossible.
      if (result.outcome === 'failed') await result.settled;
      throw this.quorumError('read', req.r, req.pr, result.answers.size, result.primaryCount, targets.length);
    }
    void result.settled
      .then(() => this.readRepair(partition, req.key, [...result.answers.values()].map((a) => a.value)))
      .catch((err: unknown) => this.deps.logger.error({ err: String(err) }, 'read repair failed'));
    const merged = mergeAll([...result.answers.values()].map((a) => a.value.rec));
    return {
      record: merged === undefined ? undefined : this.deps.replica.settle(req.key, merged, clock.now()),
      sloppy: result.primaryCount < req.r || ringMoved(),
    };
  }

  async write(req: WriteRequest): Promise<WriteResult> {
    return this.routeWrite(
      req.key,
      (partition) => this.coordinateWrite(partition, req),
      (targets, rid, ms) => forwardWrite(this.deps.peers, targets, req, rid, ms, () => this.deps.view.ringState.epoch),
    );
  }

  /** A counter increment: like a write, only a holder of the key may create its new version. */
  async increment(req: IncrementRequest): Promise<IncrementResult> {
    return this.routeWrite(
      req.key,
      (partition) => this.coordinateIncrement(partition, req),
      (targets, rid, ms) => forwardIncrement(this.deps.peers, targets, req, rid, ms, () => this.deps.view.ringState.epoch),
    );
  }

  /** Coordinates a new version here when this node holds the key, else forwards it to a node that does. */
  private routeWrite<T>(
    key: Uint8Array,
    here: (partition: number) => Promise<T>,
    forward: (targets: ReplicaTarget[], requestId: string, timeoutMs: number) => Promise<T>,
  ): Promise<T> {
    this.stats.writes++;
    this.assertRingKnown();
    const partition = partitionOfKey(key, this.deps.view.params.partitionCount);
    const targets = this.targetsFor(partition);
    const forwardTo = (to: ReplicaTarget[]): Promise<T> => {
      this.stats.forwarded++;
      return forward(to, this.requestId(), this.deps.requestTimeoutMs + 1000);
    };
    if (!targets.some((t) => t.node === this.selfId)) return forwardTo(targets);
    return here(partition).catch((err: unknown) => {
      // A full disk (or a store LevelDB stopped) refused the local write whole (one batch; nothing stored): another replica
      // can create the version, and this node's copy comes back by hint and repair once it has room.
      // So does a local copy found corrupt, which only its repair may replace (replica-service.ts).
      const others = targets.filter((t) => t.node !== this.selfId);
      if (!(err instanceof StoreFullError || err instanceof StoreDamagedError || err instanceof CorruptRecordError) || others.length === 0) throw err;
      return forwardTo(others);
    });
  }

  /** Applies an increment here as a computed write and replicates it; also serves forwarded increments. */
  async coordinateIncrement(partition: number, req: IncrementRequest): Promise<IncrementResult> {
    const { replica, clock } = this.deps;
    const step = new IncrementStep(req, clock.now());
    const written = await this.coordinateLocal(partition, req.key, req, (hintFor, durable) => replica.writeComputed(partition, req.key, step.compute, hintFor, durable));
    return step.result(written.sloppy);
  }

  /** Creates the new version here and replicates it; also serves writes forwarded by other nodes. */
  async coordinateWrite(partition: number, req: WriteRequest): Promise<WriteResult> {
    const context = req.context === '' ? emptyDots() : decodeContext(req.context);
    return this.coordinateLocal(partition, req.key, req, (hintFor, durable) => {
      const writtenAt = this.deps.clock.now();
      return this.deps.replica.write(
        partition,
        req.key,
        { context, value: req.value, contentType: req.contentType, writtenAt, ...(req.ttlMs !== undefined && { expiresAt: writtenAt + req.ttlMs }) },
        hintFor,
        durable,
      );
    });
  }

  /**
   * Creates a new version here with `writeLocal` (a hinted copy when this node
   * stands in for `hintFor`) and replicates it until W (PW) replicas hold it.
   * Shared by writes and counter increments, which differ only in the version.
   */
  async coordinateLocal(
    partition: number,
    key: Uint8Array,
    req: { readonly w: number; readonly pw: number; readonly dw?: number },
    /** `durable`: the client asked for ?dw, so the local copy is fsynced too */
    writeLocal: (hintFor: string | undefined, durable: boolean) => Promise<LocalWriteResult>,
  ): Promise<WriteResult> {
    // With ?dw every replica fsyncs, so any ack is a durable one: dw only raises the count.
    const dw = req.dw ?? 0;
    const w = Math.max(req.w, dw);
    const { clock, requestTimeoutMs } = this.deps;
    const ringMoved = this.ringMovedProbe(partition);
    const targets = this.targetsFor(partition);
    const self = targets.find((t) => t.node === this.selfId);
    const upPrimaries = targets.filter((t) => t.primary).length;
    if (req.pw > upPrimaries) throw this.quorumError('write', w, req.pw, 0, upPrimaries, targets.length);
    // A node outside the list (a forwarded write on a diverging view) keeps its copy as a hint for a
    // primary, so it is handed over and forgotten rather than left behind as stray data.
    const primaries = this.deps.view.preferenceList(partition);
    const hintFor = self !== undefined ? self.hintFor : primaries.includes(this.selfId) ? undefined : primaries[0];
    const local = await writeLocal(hintFor, dw > 0);
    const answer = (sloppy: boolean): WriteResult => ({ record: local.record, context: local.context, dot: local.dot, sloppy });
    const selfPrimary = hintFor === undefined;
    const others = targets.filter((t) => t.node !== this.selfId);
    const used = new Set(targets.map((t) => t.node));
    // The others get the new version alone, not every sibling the key holds here: merging it does the
    // write (local.record = merge(what we held, delta)); versions a replica lacks are repair's business.
    const call = (node: string, timeoutMs: number): Promise<Answer<true>> =>
      this.withStandIn(partition, targetOf(others, node), used, timeoutMs, async (t, ms) => {
        await this.deps.peers.put(t, partition, key, local.delta, ms, dw > 0);
        return true as const;
      });
    // Our own stored copy is the first ack.
    const needed = w - 1;
    const primaryNeeded = Math.max(0, req.pw - (selfPrimary ? 1 : 0));
    if (needed <= 0 && primaryNeeded <= 0) {
      // Acknowledged by our own copy; the others replicate in the background.
      for (const t of others) call(t.node, requestTimeoutMs).catch(() => undefined);
      return answer(!selfPrimary || ringMoved());
    }
    const result = await callQuorum<true>({
      targets: others.map((t) => t.node),
      needed: Math.max(needed, 0),
      primaryNeeded,
      primaryTargets: new Set(others.filter((t) => t.primary).map((t) => t.node)),
      timeoutMs: requestTimeoutMs,
      clock,
      call,
    });
    if (result.outcome !== 'met') {
      if (result.outcome === 'failed') await result.settled;
      const got = 1 + result.answers.size;
      throw this.quorumError('write', w, req.pw, got, result.primaryCount + (selfPrimary ? 1 : 0), targets.length);
    }
    return answer(result.primaryCount + (selfPrimary ? 1 : 0) < req.w || ringMoved());
  }

  /**
   * The replicas a read asks first: R of them, this node first when it holds
   * the key (no RPC), the others kept as spares — Cassandra's choice, not
   * Riak's ask-all: a third read per GET is a third more work for the cluster,
   * and W+R>N overlap needs only R distinct replicas. All are asked when pr is
   * set or the partition's replicas are changing; replicas not asked are
   * brought up to date by anti-entropy rather than read repair.
   */
  private readSlots(partition: number, targets: readonly ReplicaTarget[], req: ReadRequest): ReplicaTarget[] {
    if (req.pr > 0 || req.r >= targets.length || this.deps.view.transferring(partition)) return [...targets];
    const self = targets.filter((t) => t.node === this.selfId && t.hintFor === undefined);
    return [...self, ...targets.filter((t) => !self.includes(t))].slice(0, req.r);
  }

  /**
   * One read slot: its replica, with a spare replica asked as well when that
   * one fails or is slow (`withSpares`). Without spares it is an ordinary
   * stand-in slot.
   */
  private readSlot<T>(
    partition: number,
    target: ReplicaTarget,
    spares: ReplicaTarget[],
    used: Set<string>,
    timeoutMs: number,
    op: (t: ReplicaTarget, timeoutMs: number) => Promise<T>,
  ): Promise<Answer<T>> {
    if (spares.length === 0) return this.withStandIn(partition, target, used, timeoutMs, op);
    return withSpares(
      this.deps.clock,
      timeoutMs,
      async () => ({ value: await op(target, timeoutMs), primary: target.primary }),
      (remainingMs) => {
        const spare = spares.shift();
        return spare === undefined ? undefined : this.withStandIn(partition, spare, used, remainingMs, op);
      },
    );
  }

  /**
   * Runs `op` against a replica slot; if the node fails or is slow (half the
   * time budget), the next up node beyond the preference list stands in for
   * it, with a hint naming the primary — so one dead or stuck node costs
   * neither availability nor the write.
   */
  private async withStandIn<T>(
    partition: number,
    target: ReplicaTarget,
    used: Set<string>,
    timeoutMs: number,
    op: (t: ReplicaTarget, timeoutMs: number) => Promise<T>,
  ): Promise<Answer<T>> {
    const started = this.deps.clock.now();
    try {
      return { value: await op(target, target.primary ? Math.max(1, Math.floor(timeoutMs / 2)) : timeoutMs), primary: target.primary };
    } catch (err) {
      if (!target.primary) throw err;
      const stand = nextFallback(this.deps.view.walk(partition), this.deps.view.params.n, used, this.deps.isUp);
      const remaining = timeoutMs - (this.deps.clock.now() - started);
      if (stand === undefined || remaining <= 0) throw err;
      used.add(stand);
      this.stats.fallbacksUsed++;
      return { value: await op({ node: stand, primary: false, hintFor: target.node }, remaining), primary: false };
    }
  }

  /** Sends the merged version to every replica whose answer lacked part of it. */
  private async readRepair(partition: number, key: Uint8Array, replies: readonly { rec: KvRecord | undefined; via: ReplicaTarget }[]): Promise<void> {
    // The usual case: every replica answered the same record. Merging is idempotent, so none lacks
    // anything; one comparison per reply instead of three merges, five settles and two comparisons.
    const records = replies.map((r) => r.rec);
    if (allSame(records)) return;
    const all = mergeAll(records);
    if (all === undefined) return;
    // What each replica would keep after merging it: an expired or LWW-losing version is no reason to repair.
    const now = this.deps.clock.now();
    const merged = this.deps.replica.settle(key, all, now);
    for (const { rec, via } of replies) {
      if (rec !== undefined && recordEquals(this.deps.replica.settle(key, mergeRecords(rec, merged), now), this.deps.replica.settle(key, rec, now))) continue;
      this.stats.readRepairs++;
      this.deps.peers
        .put(via, partition, key, merged, this.deps.requestTimeoutMs)
        .catch((err: unknown) => this.deps.logger.debug({ target: via.node, err: String(err) }, 'read repair failed'));
    }
  }

  private quorumError(kind: 'read' | 'write', needed: number, primaryNeeded: number, got: number, primaryGot: number, asked: number): RingkvError {
    this.stats.quorumFailures++;
    const what = kind === 'read' ? 'replies' : 'acknowledgements';
    const primaryPart = primaryNeeded > 0 ? ` (${primaryNeeded} from primaries, got ${primaryGot})` : '';
    return new RingkvError(
      'QUORUM_NOT_MET',
      `${kind} quorum not met: needed ${needed} ${what}${primaryPart}, got ${got} from ${asked} reachable replicas within ${this.deps.requestTimeoutMs} ms`,
      { needed, got, ...(primaryNeeded > 0 ? { primaryNeeded, primaryGot } : {}) },
    );
  }
}


function targetOf(targets: readonly ReplicaTarget[], node: string): ReplicaTarget {
  const t = targets.find((x) => x.node === node);
  if (t === undefined) throw new Error(`no target ${node}`);
  return t;
}

/** Whether every record is equal to the first (all absent counts too). */
function allSame(records: readonly (KvRecord | undefined)[]): boolean {
  const [first, ...rest] = records;
  return rest.every((r) => r === first || (first !== undefined && r !== undefined && recordEquals(first, r)));
}

function mergeAll(records: Iterable<KvRecord | undefined>): KvRecord | undefined {
  let merged: KvRecord | undefined;
  for (const r of records) {
    if (r === undefined) continue;
    merged = merged === undefined ? r : mergeRecords(merged, r);
  }
  return merged;
}

export { TransportError };
