import type { Clock } from '@ringkv/core';
import type { HotKey, NodeMetrics } from './metrics.js';
import type { SiblingHeavyKey } from './sibling-heavy-keys.js';
import { readLatencyHistogram, type LatencyHistogram } from './console-latency.js';
import type { RingkvNode } from './ringkv-node.js';
import { storeStatus } from './status.js';

/**
 * One node's figures for the console, as GET /ui/api/node answers them.
 * Smaller than /status on purpose: the console fetches it from every member
 * every ~1.5 s, and /status carries a row per replicated partition.
 */
export interface ConsoleNodeSample {
  readonly id: string;
  /** the node's clock when the sample was taken (ms); rates are computed between two samples of one node */
  readonly at: number;
  readonly uptimeMs: number;
  /** records in the local store (from the Merkle trees; a scan at most `scanMaxAgeMs` old while they are built) */
  readonly keysStored: number;
  /** hinted records waiting for delivery, by target node (same scan age) */
  readonly hintsPending: Readonly<Record<string, number>>;
  readonly hintsDelivered: number;
  readonly requests: {
    readonly gets: number;
    readonly writes: number;
    readonly forwarded: number;
    readonly quorumFailures: number;
    readonly readRepairs: number;
    readonly fallbacksUsed: number;
  };
  readonly antiEntropy: { readonly exchanges: number; readonly exchangesFailed: number; readonly keysRepaired: number };
  /** ownership handoff: transfers this node is sending now, and totals since start */
  readonly transfers: {
    readonly active: readonly { readonly partition: number; readonly to: string; readonly keysSent: number; readonly bytesSent: number }[];
    readonly done: number;
    readonly keysSent: number;
  };
  readonly recovering: { readonly active: boolean; readonly partitionsLeft: number };
  /** a write was refused for a full disk: the node needs space and a restart (see /status store) */
  readonly diskFull: boolean;
  /** LevelDB stopped taking writes after reading a damaged table block (see StoreDamagedError) */
  readonly storeDamaged: boolean;
  /** stored copies found failing their checksums since start: a failing disk (see /status corruption) */
  readonly damagedCopies: number;
  readonly hotKeys: readonly HotKey[];
  /** keys last seen holding 25 siblings or more through this node (see /status siblingHeavyKeys) */
  readonly siblingHeavyKeys: readonly SiblingHeavyKey[];
  readonly latency: LatencyHistogram;
}

/** Scans of the whole store cost O(keys): at most one per this period, however many consoles poll. */
export const scanMaxAgeMs = 5000;

interface Scans {
  readonly keysStored: number;
  readonly hintsPending: Readonly<Record<string, number>>;
}

/**
 * Caches the result of an expensive async read for `maxAgeMs`; callers that
 * arrive while a read is under way share it instead of starting another.
 */
export class ThrottledRead<T> {
  private last: { readonly at: number; readonly value: T } | undefined;
  private pending: Promise<T> | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly maxAgeMs: number,
  ) {}

  get(): Promise<T> {
    const now = this.clock.now();
    if (this.last !== undefined && now - this.last.at < this.maxAgeMs) return Promise.resolve(this.last.value);
    this.pending ??= this.read().then(
      (value) => {
        this.last = { at: this.clock.now(), value };
        this.pending = undefined;
        return value;
      },
      (err: unknown) => {
        this.pending = undefined;
        throw err;
      },
    );
    return this.pending;
  }
}

/** Builds this node's samples; one per node (it holds the scan cache). */
export class ConsoleNodeSampler {
  private readonly scans: ThrottledRead<Scans>;

  constructor(
    private readonly node: RingkvNode,
    private readonly metrics: NodeMetrics,
  ) {
    this.scans = new ThrottledRead(
      async () => ({ keysStored: await node.trees.countRecords(), hintsPending: await node.handoff.pendingByTarget() }),
      node.deps.clock,
      scanMaxAgeMs,
    );
  }

  async sample(): Promise<ConsoleNodeSample> {
    const { node } = this;
    const [scans, latency] = await Promise.all([this.scans.get(), readLatencyHistogram(this.metrics.registry)]);
    const now = node.deps.clock.now();
    const { stats: co } = node.coordinator;
    const { stats: ae } = node.antiEntropy;
    const { ownership } = node;
    return {
      id: node.view.self.id,
      at: now,
      uptimeMs: now - node.startedAt,
      keysStored: scans.keysStored,
      hintsPending: scans.hintsPending,
      hintsDelivered: node.handoff.stats.delivered,
      requests: {
        gets: co.gets,
        writes: co.writes,
        forwarded: co.forwarded,
        quorumFailures: co.quorumFailures,
        readRepairs: co.readRepairs,
        fallbacksUsed: co.fallbacksUsed,
      },
      antiEntropy: { exchanges: ae.exchanges, exchangesFailed: ae.exchangesFailed, keysRepaired: ae.keysRepaired },
      transfers: {
        active: [...ownership.active.values()].map((t) => ({ partition: t.partition, to: t.to, keysSent: t.keysSent, bytesSent: t.bytesSent })),
        done: ownership.totals.transfersDone,
        keysSent: ownership.totals.keysSent,
      },
      recovering: { active: node.recovery.active, partitionsLeft: node.recovery.partitionsLeft },
      diskFull: storeStatus(node)?.diskFull === true,
      storeDamaged: storeStatus(node)?.storeDamaged === true,
      damagedCopies: node.corruptRecords.stats.records + node.corruptRecords.stats.hints,
      hotKeys: this.metrics.topKeys(),
      siblingHeavyKeys: this.metrics.topSiblingKeys(),
      latency,
    };
  }
}
