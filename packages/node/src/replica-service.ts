import {
  LwwPrefixes,
  applyLwwWrite,
  InvariantViolation,
  applyWrite,
  decodeRecord,
  dotsMaxCounter,
  emptyDots,
  encodeRecord,
  expiriesOf,
  mergeRecords,
  purgeExpired,
  recordEquals,
  resolveLww,
  RecordFormatError,
  RingkvError,
  type Dot,
  type Dots,
  type KvRecord,
  type WriteRequest,
  type WriteResult as VersionedWrite,
} from '@ringkv/core';
import { CorruptRecordError, type ReplicaStore } from '@ringkv/storage';
import { decodeHint, encodeHint, type HintRecord } from './hint-record.js';
import { ActorRenewal } from './actor-renewal.js';
import { KeyedMutex } from './keyed-mutex.js';
import { partitionKeyId } from './partition-key-id.js';
import type { PartitionTrees } from './partition-trees.js';

/** Told after every data record change (tombstone GC tracks tombstones this way). */
export type StoreListener = (partition: number, key: Uint8Array, record: KvRecord | undefined) => void;

/** A client write as the coordinating replica applies it. */
export interface LocalWrite {
  readonly context: Dots;
  /** null deletes (writes a tombstone) */
  readonly value: Uint8Array | null;
  readonly contentType: string;
  readonly writtenAt: number;
  /** the new version's deadline (coordinator clock ms), from the client's ?ttl */
  readonly expiresAt?: number;
}

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

/**
 * Builds a computed write's version from the key's local copies and the dot
 * it will get: this replica's actor as of now (it may have been renewed while
 * the copies were read) and its counter.
 */
export type ComputeWrite = (
  local: { readonly data: KvRecord | undefined; readonly hint: KvRecord | undefined },
  dot: Dot,
) => Omit<LocalWrite, 'context'>;

/** A write applied here: the new record, the writer's context, the new dot and the delta the others are sent. */
export type LocalWriteResult = VersionedWrite;

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

const counterFloorMeta = 'counter-floor';

/**
 * This node's replica of the keys it stores, and the hinted copies it keeps
 * for down primaries. Every change is a merge into what is held, under a
 * per-key lock, so the same version arriving twice, late or out of order
 * changes nothing.
 */
export class ReplicaService {
  private readonly locks = new KeyedMutex();
  private counterFloor = 0;
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

  /** Loads what must survive restarts (the counter floor). */
  async init(): Promise<void> {
    const bytes = await this.store.getMeta(counterFloorMeta);
    this.counterFloor = bytes === undefined ? 0 : Number(new TextDecoder().decode(bytes)) || 0;
  }

  /** The key's record, for a reader. A copy found corrupt is reported and refused (CorruptRecordError): "absent" would be a lie a quorum counts. */
  async read(partition: number, key: Uint8Array): Promise<KvRecord | undefined> {
    const bytes = await this.readBytes(partition, key);
    try {
      return bytes === undefined ? undefined : decodeRecord(bytes);
    } catch (err) {
      throw this.refused(err, 'record', partition, key);
    }
  }

  /** The key's record as stored (encodeRecord's bytes), undecoded; a copy that failed its checksum is reported and refused. */
  readBytes(partition: number, key: Uint8Array): Promise<Uint8Array | undefined> {
    // not async: one promise less on every read's path
    return this.store.getRecordBytes(partition, key).catch((err: unknown) => Promise.reject(this.refused(err, 'record', partition, key)));
  }

  /** The key's hinted copy, for a reader; a corrupt one is reported and refused like a record. */
  async readHint(partition: number, key: Uint8Array): Promise<HintRecord | undefined> {
    try {
      const bytes = await this.store.getHintBytes(partition, key);
      return bytes === undefined ? undefined : decodeHint(bytes);
    } catch (err) {
      throw this.refused(err, 'hint', partition, key);
    }
  }

  /** A read's error: a corrupt copy is reported (and the actor renewed in the background) and refused as CorruptRecordError. */
  private refused(err: unknown, kind: 'record' | 'hint', partition: number, key: Uint8Array): unknown {
    const corrupt = asCorrupt(err, kind, partition, key);
    if (corrupt === undefined) return err;
    this.reportCorrupt(corrupt).catch(() => undefined);
    return corrupt;
  }

  /**
   * A stored copy failed its checksum (or does not decode). Tells the node,
   * and resolves once no dot it may hold can be numbered again (ActorRenewal).
   */
  async reportCorrupt(error: CorruptRecordError): Promise<void> {
    this.onCorrupt(error);
    return this.actors.cover(error);
  }

  /**
   * The key's record for a change under its lock, as stored and decoded.
   * A corrupt copy is reported, and then:
   * - `refuse` (writes and merges): refused with CorruptRecordError. Storing
   *   a merge over it would leave a valid-looking record without the versions
   *   the lost copy held — versions this replica acknowledged, which a quorum
   *   read of it must see. Only the repair (replaceCorrupt), with what every
   *   other replica holds, replaces it; meanwhile writes go to the others and
   *   come back here by hint or repair.
   * - `absent` (what only needs to know the copy is gone: a hinted write's
   *   counter floor, the purger, tombstone GC, dropping the partition): read
   *   as absent, once reportCorrupt resolved, so what is written next numbers
   *   no dot twice.
   */
  private async loadData(
    partition: number,
    key: Uint8Array,
    ifCorrupt: 'refuse' | 'absent',
  ): Promise<{ before: Uint8Array | undefined; current: KvRecord | undefined; corrupt?: true }> {
    try {
      const before = await this.store.getRecordBytes(partition, key);
      return { before, current: before === undefined ? undefined : decodeRecord(before) };
    } catch (err) {
      const corrupt = asCorrupt(err, 'record', partition, key);
      if (corrupt === undefined) throw err;
      await this.reportCorrupt(corrupt);
      if (ifCorrupt === 'refuse') throw corrupt;
      return { before: undefined, current: undefined, corrupt: true };
    }
  }

  /** The key's hinted copy for a change under its lock; a corrupt one is reported and read as absent, as in loadData. */
  private async loadHint(partition: number, key: Uint8Array): Promise<HintRecord | undefined> {
    try {
      const bytes = await this.store.getHintBytes(partition, key);
      return bytes === undefined ? undefined : decodeHint(bytes);
    } catch (err) {
      const corrupt = asCorrupt(err, 'hint', partition, key);
      if (corrupt === undefined) throw err;
      await this.reportCorrupt(corrupt);
      // the caller writes a new hint over it: a later corruption of that one is a new copy
      this.actors.forget('hint', partition, key);
      return undefined;
    }
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
      const { before, current } = await this.loadData(partition, key, 'refuse');
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

  /** Keeps a version for a down primary (`target`) until it can be handed over. */
  async mergeHint(partition: number, key: Uint8Array, incoming: KvRecord, target: string, durable = false): Promise<void> {
    await this.locks.run(lockKey(partition, key), async () => {
      const current = await this.loadHint(partition, key);
      const record = this.settle(key, current === undefined ? incoming : mergeRecords(current.record, incoming));
      const targets = new Set(current?.targets ?? []);
      targets.add(target);
      if (current !== undefined && recordEquals(current.record, record) && targets.size === current.targets.length) {
        if (durable) await this.store.syncBarrier();
        return;
      }
      this.stats.hintsStored++;
      await this.store.putHintBytes(partition, key, encodeHint({ targets: [...targets], record }), { sync: this.sync(durable) });
    });
  }

  /**
   * Creates a new version of the key as its coordinator: the event gets a dot
   * of this replica's actor, numbered after every dot of that actor the local
   * record has seen (and above the counter floor), and is stored before anyone
   * else hears of it. A fallback (`hintFor` set) coordinates on its hinted copy.
   */
  async write(partition: number, key: Uint8Array, w: LocalWrite, hintFor?: string, durable = false): Promise<LocalWriteResult> {
    if (hintFor !== undefined) return this.writeHint(partition, key, w, hintFor, durable);
    return this.locks.run(lockKey(partition, key), async () => {
      const { before, current } = await this.loadData(partition, key, 'refuse');
      const hint = await this.loadHint(partition, key);
      const result = this.applyLocal(key, current, { actor: this.actor, counterFloor: this.floorBeside(hint?.record), ...w });
      await this.storeData(partition, key, before, result.record, durable);
      this.stats.writesCoordinated++;
      return result;
    });
  }

  private async writeHint(partition: number, key: Uint8Array, w: LocalWrite, hintFor: string, durable: boolean): Promise<LocalWriteResult> {
    return this.locks.run(lockKey(partition, key), async () => {
      const current = await this.loadHint(partition, key);
      const { current: data } = await this.loadData(partition, key, 'absent');
      const result = this.applyLocal(key, current?.record, { actor: this.actor, counterFloor: this.floorBeside(data), ...w });
      const targets = new Set(current?.targets ?? []);
      targets.add(hintFor);
      await this.store.putHintBytes(partition, key, encodeHint({ targets: [...targets], record: result.record }), {
        sync: this.sync(durable),
      });
      this.stats.writesCoordinated++;
      this.stats.hintsStored++;
      return result;
    });
  }

  /**
   * A write whose value is computed from what this replica holds of the key
   * (a counter increment). Under the key's lock, `compute` sees both local
   * copies and the dot counter the new version will carry; the new version
   * supersedes everything the written copy holds, so its value must contain
   * all of it (a CRDT join does). A fallback (`hintFor`) writes its hinted copy.
   * `durable` (?dw): fsynced whatever --sync says, as for `write`.
   */
  async writeComputed(partition: number, key: Uint8Array, compute: ComputeWrite, hintFor?: string, durable = false): Promise<LocalWriteResult> {
    return this.locks.run(lockKey(partition, key), async () => {
      const { before, current: data } = await this.loadData(partition, key, 'refuse');
      const hint = await this.loadHint(partition, key);
      const written = hintFor === undefined ? data : hint?.record;
      const counterFloor = this.floorBeside(hintFor === undefined ? hint?.record : data);
      const dot = Math.max(written === undefined ? 0 : dotsMaxCounter(written.history, this.actor), counterFloor) + 1;
      const w = compute({ data, hint: hint?.record }, { actor: this.actor, counter: dot });
      const context = written?.history ?? emptyDots();
      const result = this.applyLocal(key, written, { ...w, actor: this.actor, counterFloor, context });
      if (result.dot.counter !== dot) throw new InvariantViolation(`computed write got dot ${result.dot.counter}, expected ${dot}`);
      if (hintFor === undefined) {
        await this.storeData(partition, key, before, result.record, durable);
      } else {
        const targets = new Set([...(hint?.targets ?? []), hintFor]);
        await this.store.putHintBytes(partition, key, encodeHint({ targets: [...targets], record: result.record }), { sync: this.sync(durable) });
        this.stats.hintsStored++;
      }
      this.stats.writesCoordinated++;
      return result;
    });
  }

  /** A new version over what is kept (expired versions are not carried along as siblings); LWW keys supersede all of it. */
  private applyLocal(key: Uint8Array, current: KvRecord | undefined, w: WriteRequest): LocalWriteResult {
    this.actors.markUsed();
    const base = current === undefined ? undefined : this.settle(key, current);
    const result = this.lww.covers(key) ? applyLwwWrite(base, w) : applyWrite(base, w);
    const siblingsMax = this.options.siblingsMax;
    const after = result.record.siblings.length;
    // Refuse only growth: a write whose context resolves siblings is always welcome.
    if (siblingsMax !== undefined && after > siblingsMax && after > (base?.siblings.length ?? 0)) {
      throw new RingkvError(
        'SIBLINGS_TOO_MANY',
        `the key holds ${after - 1} siblings and this write would add one more (limit ${siblingsMax}); read it and write with its context to resolve them`,
        { siblings: after - 1, limit: siblingsMax },
      );
    }
    return result;
  }

  /**
   * Drops the versions of a stored key that expired by `now` (the expiry
   * purger's step). Through storeData like every change, so the Merkle tree
   * and tombstone GC follow; a record left with no version is then collected
   * like a tombstone. Returns whether anything changed.
   */
  async purgeExpired(partition: number, key: Uint8Array, now = this.now()): Promise<boolean> {
    return this.locks.run(lockKey(partition, key), async () => {
      const { before, current } = await this.loadData(partition, key, 'absent');
      if (before === undefined || current === undefined) return false;
      const kept = this.settle(key, current, now);
      if (kept === current || recordEquals(kept, current)) return false;
      await this.storeData(partition, key, before, kept);
      this.stats.expiredPurged++;
      return true;
    });
  }

  /**
   * The primary `target` acknowledged `sent`. Forget the hint for it unless a
   * newer write merged into the hint meanwhile (that one still has to go).
   * When no target is left the hint is deleted — after raising the counter
   * floor above every dot of ours it holds.
   */
  async completeHint(partition: number, key: Uint8Array, target: string, sent: KvRecord): Promise<void> {
    await this.locks.run(lockKey(partition, key), async () => {
      const current = await this.loadHint(partition, key);
      if (current === undefined || !recordEquals(current.record, sent)) return;
      const targets = current.targets.filter((t) => t !== target);
      this.stats.hintsCompleted++;
      if (targets.length > 0) {
        await this.store.putHintBytes(partition, key, encodeHint({ targets, record: current.record }), { sync: this.options.syncWrites });
        return;
      }
      await this.raiseCounterFloor(dotsMaxCounter(current.record.history, this.actor));
      await this.store.deleteHint(partition, key, { sync: this.options.syncWrites });
    });
  }

  /**
   * Collects a tombstone if the key still holds exactly `expected` (nothing
   * was written since the collector decided). Raises the counter floor first,
   * so our dots in it are never reused.
   */
  async reapTombstone(partition: number, key: Uint8Array, expected: KvRecord): Promise<boolean> {
    return this.locks.run(lockKey(partition, key), async () => {
      const { before, current } = await this.loadData(partition, key, 'absent');
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
        const { before, current, corrupt } = await this.loadData(partition, k, 'absent');
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

  /** The counter floor for writing one of a key's two local copies: past our dots in the other copy too. */
  private floorBeside(other: KvRecord | undefined): number {
    return Math.max(this.counterFloor, other === undefined ? 0 : dotsMaxCounter(other.history, this.actor));
  }

  /** Persists (synced) a new floor before anything carrying our dots is forgotten. */
  async raiseCounterFloor(counter: number): Promise<void> {
    if (counter <= this.counterFloor) return;
    this.counterFloor = counter;
    await this.store.putMeta(counterFloorMeta, new TextEncoder().encode(String(counter)), { sync: true });
  }
}

/** A stored copy's failure as CorruptRecordError: its checksum failed, or it does not decode (written before checksums, or by a bug). */
function asCorrupt(err: unknown, kind: 'record' | 'hint', partition: number, key: Uint8Array): CorruptRecordError | undefined {
  if (err instanceof CorruptRecordError) return err;
  if (err instanceof RecordFormatError) return new CorruptRecordError(kind, partition, key);
  return undefined;
}

/** One lock per key covers both its data record and its hinted copy: a new dot must be numbered past both. */
const lockKey = partitionKeyId;
