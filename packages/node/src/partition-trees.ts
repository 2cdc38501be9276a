import { MerkleTree, entryHash, keySegment, type Clock, type Hash64 } from '@ringkv/core';
import type { ReplicaStore } from '@ringkv/storage';
import { LatestRecordCache } from './latest-record-cache.js';
import { storeDamageAdvice } from './store-damage.js';
import type { Logger } from './logger.js';

/**
 * Told about every stored record while a tree is built (tombstone GC keeps its candidates this way);
 * `legacy`: stored before checksums, without the envelope yet (the scrub gives it one).
 */
export type ScanObserver = (partition: number, key: Uint8Array, bytes: Uint8Array, legacy: boolean) => void;

/**
 * The Merkle tree of every partition this node stores, kept in step with
 * every data write. A partition's tree is built by one scan at start; while
 * it is being built, writes to that partition wait (a few ms per partition),
 * so the scan and the incremental updates can never count a write twice or
 * not at all.
 */
export class PartitionTrees {
  private readonly trees = new Map<number, MerkleTree>();
  private readonly building = new Map<number, Promise<void>>();
  private readonly inflight = new Map<number, number>();
  private readonly drained = new Map<number, () => void>();
  /** entry hashes of the latest large records written: a write's `before` is usually the previous one's `after` */
  private readonly hashes = new LatestRecordCache<Hash64>();
  builtCount = 0;
  buildStartedAt = 0;
  buildFinishedAt = 0;

  constructor(
    private readonly store: ReplicaStore,
    private readonly partitionCount: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  tree(partition: number): MerkleTree | undefined {
    return this.trees.get(partition);
  }

  get allBuilt(): boolean {
    return this.builtCount === this.partitionCount;
  }

  /**
   * Records stored (tombstones included) in every partition, from the trees'
   * entry counts, which every data write keeps exact; undefined until every
   * tree is built. O(partitions), where counting in the store reads every
   * record (seconds at millions of keys), so /status and the console can ask often.
   */
  get recordCount(): number | undefined {
    if (!this.allBuilt) return undefined;
    let n = 0;
    for (const tree of this.trees.values()) n += tree.entryCount;
    return n;
  }

  /** `recordCount`, or a count by scanning the store while trees are still being built. */
  async countRecords(): Promise<number> {
    return this.recordCount ?? (await this.store.countKeys());
  }

  /** Called before a data write to the partition; waits while its tree is being built. */
  async enter(partition: number): Promise<void> {
    for (let gate = this.building.get(partition); gate !== undefined; gate = this.building.get(partition)) await gate;
    this.inflight.set(partition, (this.inflight.get(partition) ?? 0) + 1);
  }

  /** Called after the write reached the store (or failed: pass the same bytes twice). */
  exit(partition: number, key: Uint8Array, before: Uint8Array | undefined, after: Uint8Array | undefined): void {
    const tree = this.trees.get(partition);
    if (tree !== undefined && before !== after) {
      const beforeHash = before && (this.hashes.get(partition, key, before) ?? entryHash(key, before));
      const afterHash = after && entryHash(key, after);
      this.hashes.remember(partition, key, after, afterHash);
      tree.replace(keySegment(key), beforeHash, afterHash);
    }
    const n = (this.inflight.get(partition) ?? 1) - 1;
    this.inflight.set(partition, n);
    if (n === 0) this.drained.get(partition)?.();
  }

  /** Builds every partition's tree from the store, logging progress. */
  async buildAll(observe: ScanObserver, isStopped: () => boolean): Promise<void> {
    this.buildStartedAt = this.clock.now();
    let keys = 0;
    let lastLogged = 0;
    for (let p = 0; p < this.partitionCount; p++) {
      if (isStopped()) return;
      try {
        keys += await this.build(p, observe);
      } catch (err) {
        // One unreadable partition (a damaged LevelDB block) must not keep anti-entropy from the others:
        // it simply has no tree, which anti-entropy skips and its fellows are told.
        this.logger.error({ partition: p, err: String(err) }, `building the merkle tree of partition ${p} failed${storeDamageAdvice(err)}`);
      }
      const pct = Math.floor(((p + 1) * 100) / this.partitionCount);
      if (pct >= lastLogged + 25 || p === this.partitionCount - 1) {
        lastLogged = pct;
        this.logger.info({ partitions: p + 1, of: this.partitionCount, keys }, `merkle trees ${pct}% built`);
      }
    }
    this.buildFinishedAt = this.clock.now();
  }

  /** (Re)builds one partition's tree; returns the number of keys it holds. */
  async build(partition: number, observe: ScanObserver): Promise<number> {
    return this.paused(partition, async () => {
      const tree = new MerkleTree();
      for await (const { key, bytes, legacy } of this.store.scanPartition(partition)) {
        tree.replace(keySegment(key), undefined, entryHash(key, bytes));
        observe(partition, key, bytes, legacy === true);
      }
      if (!this.trees.has(partition)) this.builtCount++;
      this.trees.set(partition, tree);
      return tree.entryCount;
    });
  }

  /**
   * Runs `fn` while no data write to the partition is in flight or can start
   * (building its tree; the last step of handing it off).
   */
  async paused<T>(partition: number, fn: () => Promise<T>): Promise<T> {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // Wait for another pause of the same partition, then close the gate.
    for (let g = this.building.get(partition); g !== undefined; g = this.building.get(partition)) await g;
    this.building.set(partition, gate);
    try {
      if ((this.inflight.get(partition) ?? 0) > 0) await new Promise<void>((r) => this.drained.set(partition, r));
      this.drained.delete(partition);
      return await fn();
    } finally {
      this.building.delete(partition);
      open();
    }
  }
}
