/**
 * This node's replica of the keys it stores: merges of versions from other
 * replicas, and the lifecycle of its data records (expiry purge, tombstone
 * collection, repair of a corrupt copy, dropping a partition), every change
 * through storeData. The rest of its API is delegated to one file per job:
 * reading copies that may be corrupt (stored-copies.ts), new versions and
 * their dots (local-writes.ts), hinted copies (hinted-copies.ts) and the
 * counter floor (counter-floor.ts); all share its per-key locks.
 */
import {
  LwwPrefixes,
  decodeRecord,
  dotsMaxCounter,
  encodeRecord,
  expiriesOf,
  mergeRecords,
  purgeExpired,
  recordEquals,
  resolveLww,
  type KvRecord,
} from '@ringkv/core';
import { CorruptMetaError, type CorruptRecordError, type ReplicaStore } from '@ringkv/storage';
import type { HintRecord } from './hint-record.js';
import { ActorRenewal } from './actor-renewal.js';
import { CounterFloor } from './counter-floor.js';
import { HintedCopies, type HintHost } from './hinted-copies.js';
import { KeyedMutex } from './keyed-mutex.js';
import { LocalWrites, type ComputeWrite, type LocalWrite, type LocalWriteResult, type WriteHost } from './local-writes.js';
import { partitionKeyId } from './partition-key-id.js';
import type { PartitionTrees } from './partition-trees.js';
import { asCorrupt, StoredCopies } from './stored-copies.js';

export type { ComputeWrite, LocalWrite, LocalWriteResult } from './local-writes.js';

/** Told after every data record change (tombstone GC tracks tombstones this way). */
export type StoreListener = (partition: number, key: Uint8Array, record: KvRecord | undefined) => void;

/** How the replica keeps records, beyond merging: durability, expiry clock, conflict policy. */
export interface ReplicaOptions {
  readonly syncWrites: boolean;
  /** this node's wall clock (ms): versions past their deadline by it are purged when stored */
  readonly now?: () => number;
  /** keys under the LWW policy (the same on every node of the cluster) */
  readonly lww?: LwwPrefixes;
  /**
   * A client write that would leave a key with more siblings than this is
   * refused (SIBLINGS_TOO_MANY) before anything is stored. Only client writes
   * coordinated here: replication, hints, repair and handoff merge whatever
   * they carry, so no stored sibling is ever dropped for being over it.
   */
  readonly siblingsMax?: number;
  /**
   * Starts a new actor generation (persisted before it resolves) and returns
   * its name. Without it a copy that failed its checksum cannot be read as
   * absent (a dot could be numbered again), and such a key is refused.
   */
  readonly renewActor?: () => Promise<string>;
}

export interface ReplicaStats {
  merges: number;
  mergesChanged: number;
  writesCoordinated: number;
  hintsStored: number;
  hintsCompleted: number;
  /** records changed by the expiry purger (expired versions dropped) */
  expiredPurged: number;
  /** new actor generations started because a stored copy holding our dots was lost to corruption */
  actorsRenewed: number;
}

/**
 * This node's replica of the keys it stores, and the hinted copies it keeps
 * for down primaries. Every change is a merge into what is held, under a
 * per-key lock, so the same version arriving twice, late or out of order
 * changes nothing.
 */
export class ReplicaService {
  private readonly locks = new KeyedMutex();
  readonly stats: ReplicaStats = { merges: 0, mergesChanged: 0, writesCoordinated: 0, hintsStored: 0, hintsCompleted: 0, expiredPurged: 0, actorsRenewed: 0 };
  readonly lww: LwwPrefixes;
  private readonly now: () => number;

  private listener: StoreListener = () => undefined;
  /** told of every stored copy found corrupt (the node counts, logs and repairs it: corrupt-records.ts) */
  onCorrupt: (error: CorruptRecordError) => void = () => undefined;
  private readonly actors: ActorRenewal;
  /** set by tombstone GC: an incoming tombstone it already collected here (no need to store it again) */
  alreadyCollected: (partition: number, key: Uint8Array, record: KvRecord) => boolean = () => false;
  /** set by the ownership handoff: writes to these partitions must be re-sent to their new replicas */
  handingOff: (partition: number) => boolean = () => false;
  private dirtyStamp = 0;
  private readonly floor: CounterFloor;
  private readonly copies: StoredCopies;
  private readonly writes: LocalWrites;
  private readonly hints: HintedCopies;

  constructor(
    readonly store: ReplicaStore,
    /** this replica's version actor: node id plus store epoch */
    actor: string,
    private readonly options: ReplicaOptions,
    private readonly trees: PartitionTrees,
  ) {
    this.actors = new ActorRenewal(actor, options.renewActor, () => this.stats.actorsRenewed++);
    this.lww = options.lww ?? new LwwPrefixes([]);
    // Without a clock nothing is judged expired here; readers still filter by theirs.
    this.now = options.now ?? (() => 0);
    this.floor = new CounterFloor(store);
    this.copies = new StoredCopies(store, this.actors, (error) => this.onCorrupt(error));
    // What the parts share: the store, the key locks, and storeData, the one way a data record changes.
    const host: WriteHost & HintHost = {
      store,
      stats: this.stats,
      lww: this.lww,
      withKeyLock: (partition, key, fn) => this.withKeyLock(partition, key, fn),
      settle: (key, rec) => this.settle(key, rec),
      storeData: (partition, key, before, record, durable) => this.storeData(partition, key, before, record, durable),
      sync: (durable) => this.sync(durable),
    };
    this.writes = new LocalWrites(host, this.copies, this.floor, this.actors, options);
    this.hints = new HintedCopies(host, this.copies, this.floor, this.actors, options);
  }

  /**
   * What is kept of a record of `key`: for an LWW key only the newest
   * version; then no version past its deadline by this node's clock (its dot
   * stays in history, so no copy elsewhere can bring it back). Resolving
   * before purging matters: when the newest LWW version expired, the key is
   * gone, and an older one must not reappear.
   */
  settle(key: Uint8Array, rec: KvRecord, now = this.now()): KvRecord {
    return purgeExpired(this.lww.covers(key) ? resolveLww(rec) : rec, now);
  }

  /** This replica's version actor: node id plus store epoch; renewed when a stored copy holding its dots is lost. */
  get actor(): string {
    return this.actors.actor;
  }

  onStore(listener: StoreListener): void {
    this.listener = listener;
  }

  /**
   * Loads what must survive restarts (the counter floor). A floor the disk
   * damaged is unknown: dots of the current actor at or below it may be
   * forgotten somewhere, so the replica takes a new actor, under which no dot
   * exists yet, and starts its floor over. Resolves with that damage, if any, for the log.
   */
  async init(): Promise<CorruptMetaError | undefined> {
    try {
      await this.floor.load();
      return undefined;
    } catch (err) {
      if (!(err instanceof CorruptMetaError)) throw err;
      await this.actors.renewNow(err);
      await this.floor.reset();
      return err;
    }
  }

  /** The key's record, for a reader; a corrupt copy is reported and refused (stored-copies.ts). */
  read(partition: number, key: Uint8Array): Promise<KvRecord | undefined> {
    return this.copies.read(partition, key);
  }

  /** The key's record as stored (encodeRecord's bytes), undecoded; a corrupt copy is reported and refused. */
  readBytes(partition: number, key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.copies.readBytes(partition, key);
  }

  /** The key's hinted copy, for a reader; a corrupt one is reported and refused like a record. */
  readHint(partition: number, key: Uint8Array): Promise<HintRecord | undefined> {
    return this.copies.readHint(partition, key);
  }

  /** A stored copy was found corrupt: tells the node, and resolves once no dot it may hold can be numbered again. */
  reportCorrupt(error: CorruptRecordError): Promise<void> {
    return this.copies.reportCorrupt(error);
  }

  /**
   * Merges a version from another replica (replication, read repair, hint
   * delivery). Returns the stored result. `durable` (the coordinator's ?dw):
   * fsync before resolving even on a node without --sync — also when nothing
   * changed, since what is held may not be on disk yet.
   */
  async merge(partition: number, key: Uint8Array, incoming: KvRecord, durable = false): Promise<KvRecord> {
    return this.locks.run(lockKey(partition, key), async () => {
      this.stats.merges++;
      const { before, current } = await this.copies.loadData(partition, key, 'refuse');
      const arriving = this.settle(key, incoming);
      if (current === undefined && this.alreadyCollected(partition, key, arriving)) {
        if (durable) await this.store.syncBarrier();
        return arriving;
      }
      const merged = current === undefined ? arriving : this.settle(key, mergeRecords(current, arriving));
      if (current === undefined || !recordEquals(current, merged)) {
        this.stats.mergesChanged++;
        await this.storeData(partition, key, before, merged, durable);
      } else if (durable) {
        await this.store.syncBarrier();
      }
      return merged;
    });
  }

  /** Keeps a version for a down primary (`target`) until it can be handed over (hinted-copies.ts). */
  mergeHint(partition: number, key: Uint8Array, incoming: KvRecord, target: string, durable = false): Promise<void> {
    return this.hints.merge(partition, key, incoming, target, durable);
  }

  /** The primary `target` acknowledged `sent`: the hint for it is forgotten, unless a newer write merged into it meanwhile. */
  completeHint(partition: number, key: Uint8Array, target: string, sent: KvRecord): Promise<void> {
    return this.hints.complete(partition, key, target, sent);
  }

  /**
   * Creates a new version of the key as its coordinator, with a new dot of
   * this replica's actor (local-writes.ts). A fallback (`hintFor` set)
   * coordinates on its hinted copy.
   */
  write(partition: number, key: Uint8Array, w: LocalWrite, hintFor?: string, durable = false): Promise<LocalWriteResult> {
    return this.writes.write(partition, key, w, hintFor, durable);
  }

  /** A write whose value is computed from what this replica holds of the key (a counter increment; local-writes.ts). */
  writeComputed(partition: number, key: Uint8Array, compute: ComputeWrite, hintFor?: string, durable = false): Promise<LocalWriteResult> {
    return this.writes.writeComputed(partition, key, compute, hintFor, durable);
  }

  /**
   * Drops the versions of a stored key that expired by `now` (the expiry
   * purger's step). Through storeData like every change, so the Merkle tree
   * and tombstone GC follow; a record left with no version is then collected
   * like a tombstone. Returns whether anything changed.
   */
  async purgeExpired(partition: number, key: Uint8Array, now = this.now()): Promise<boolean> {
    return this.locks.run(lockKey(partition, key), async () => {
      const { before, current } = await this.copies.loadData(partition, key, 'absent');
      if (before === undefined || current === undefined) return false;
      const kept = this.settle(key, current, now);
      if (kept === current || recordEquals(kept, current)) return false;
      await this.storeData(partition, key, before, kept);
      this.stats.expiredPurged++;
      return true;
    });
  }


  /**
   * Collects a tombstone if the key still holds exactly `expected` (nothing
   * was written since the collector decided). Raises the counter floor first,
   * so our dots in it are never reused.
   */
  async reapTombstone(partition: number, key: Uint8Array, expected: KvRecord): Promise<boolean> {
    return this.locks.run(lockKey(partition, key), async () => {
      const { before, current } = await this.copies.loadData(partition, key, 'absent');
      if (before === undefined || current === undefined) return false;
      if (!recordEquals(current, expected) || current.siblings.some((s) => s.value !== null)) return false;
      await this.raiseCounterFloor(dotsMaxCounter(current.history, this.actor));
      await this.storeData(partition, key, before, undefined);
      return true;
    });
  }

  /** Whether a write is fsynced: every one with --sync, else those a client asked to be durable (?dw). */
  private sync(durable: boolean): boolean {
    return this.options.syncWrites || durable;
  }

  /** Every data write goes here, so the partition's Merkle tree and the tombstone collector stay in step. */
  private async storeData(partition: number, key: Uint8Array, before: Uint8Array | undefined, record: KvRecord | undefined, durable = false): Promise<void> {
    const after = record === undefined ? undefined : encodeRecord(record);
    const sync = this.sync(durable);
    await this.trees.enter(partition);
    let stored = false;
    try {
      // A key the handoff must send again is marked in the record's own batch (inside the partition's
      // write span, so pausing the partition also excludes the marks): never stored without its mark.
      // Deletions (dropping a given-up partition, collecting a tombstone) need not travel.
      if (after === undefined) await this.store.deleteRecord(partition, key, { sync });
      else await this.store.putRecordBytes(partition, key, after, { sync }, expiriesOf(record as KvRecord), this.handingOff(partition) ? ++this.dirtyStamp : undefined);
      stored = true;
    } finally {
      this.trees.exit(partition, key, before, stored ? after : before);
    }
    this.listener(partition, key, record);
  }

  /**
   * The repair of a corrupt copy: `fetched` is what every other replica of
   * the key holds (all of them answered, so every version a quorum
   * acknowledged is among them). A copy still corrupt is replaced by their
   * merge — or dropped when none holds the key; one repaired meanwhile
   * merges them like any replica. Returns whether a corrupt copy was replaced.
   */
  async replaceCorrupt(partition: number, key: Uint8Array, fetched: readonly KvRecord[]): Promise<boolean> {
    const replacement = fetched.reduce<KvRecord | undefined>((acc, r) => (acc === undefined ? r : mergeRecords(acc, r)), undefined);
    const replaced = await this.locks.run(lockKey(partition, key), async () => {
      // Not loadData: this copy was reported already, and reporting it again would queue its repair again.
      try {
        const bytes = await this.store.getRecordBytes(partition, key);
        if (bytes !== undefined) decodeRecord(bytes);
        return false;
      } catch (err) {
        const corrupt = asCorrupt(err, 'record', partition, key);
        if (corrupt === undefined) throw err;
        // Renewed when it was found — unless that renewal is still under way: nothing of ours may be numbered again.
        await this.actors.cover(corrupt);
        // `before` undefined: the tree, rebuilt since it was found, no longer counts the corrupt copy.
        if (replacement === undefined) await this.store.deleteRecord(partition, key);
        else await this.storeData(partition, key, undefined, this.settle(key, replacement));
        this.actors.forget('record', partition, key);
        return true;
      }
    });
    if (!replaced && replacement !== undefined) await this.merge(partition, key, replacement);
    return replaced;
  }

  /** Gives a record stored before checksums its envelope (the scrub), under the key's lock so no write is undone. */
  reseal(partition: number, key: Uint8Array): Promise<boolean> {
    return this.withKeyLock(partition, key, () => this.store.resealRecord(partition, key));
  }

  /** Runs `fn` holding the key's lock (the handoff clears dirty marks this way without racing a write). */
  withKeyLock<T>(partition: number, key: Uint8Array, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(lockKey(partition, key), fn);
  }

  /**
   * Forgets every record of a partition this node no longer replicates, after
   * raising the counter floor above our dots in them. Returns how many went.
   */
  async dropPartition(partition: number): Promise<number> {
    let dropped = 0;
    // Every stored key, corrupt ones too (a checked scan skips them, and they must go as well).
    for await (const key of this.store.scanPartitionKeys(partition)) {
      const k = new Uint8Array(key);
      await this.locks.run(lockKey(partition, k), async () => {
        const { before, current, corrupt } = await this.copies.loadData(partition, k, 'absent');
        if (corrupt === true) {
          // The actor is renewed by now: nothing of it to keep, nor a tree entry to take out (the rebuild has none).
          await this.store.deleteRecord(partition, k);
          this.actors.forget('record', partition, k);
          return;
        }
        if (before === undefined || current === undefined) return;
        await this.raiseCounterFloor(dotsMaxCounter(current.history, this.actor));
        await this.storeData(partition, k, before, undefined);
        dropped++;
      });
    }
    return dropped;
  }

  /** Persists (synced) a new counter floor before anything carrying our dots is forgotten. */
  raiseCounterFloor(counter: number): Promise<void> {
    return this.floor.raise(counter);
  }
}

/** One lock per key covers both its data record and its hinted copy: a new dot must be numbered past both. */
const lockKey = partitionKeyId;
