/**
 * A replica's view of its store: opaque record bytes addressed by
 * (partition, key), plus named metadata. It knows the key layout (keys.ts)
 * and nothing about what the bytes mean; encoding records is core's job.
 * It works over any `Store`, so the simulator's in-memory store can stand in
 * for LevelDB.
 */
import type { Store, StoreOp } from '@ringkv/core';
import { successor } from './bytes.js';
import { CorruptMetaError, CorruptRecordError } from './errors.js';
import { isLegacy, isSealed, seal, unseal, unsealMeta } from './record-envelope.js';
import {
  dataKey,
  dataRange,
  dirtyKey,
  dirtyPartitionRange,
  expiredBeforeRange,
  expiryKey,
  hintKey,
  parseDirtyKey,
  parseExpiryKey,
  hintPartitionRange,
  hintRange,
  metaKey,
  parseDataKey,
  parseHintKey,
  partitionRange,
} from './keys.js';

export interface WriteOptions {
  /** Wait for fsync: survives a machine crash, not only a process crash. */
  readonly sync?: boolean;
}

export interface PartitionScanOptions {
  /** Resume after this key (exclusive), as returned by a previous scan. */
  readonly afterKey?: Uint8Array;
  readonly limit?: number;
}

export interface RecordEntry {
  readonly key: Uint8Array;
  readonly bytes: Uint8Array;
  /** stored as written before checksums (no envelope): `resealRecord` gives it one */
  readonly legacy?: true;
}

/** The put of a dirty mark: the key under the partition's dirty prefix, the stamp in decimal. */
function dirtyMark(partition: number, key: Uint8Array, stamp: number): StoreOp {
  return { type: 'put', key: dirtyKey(partition, key), value: Uint8Array.from(String(stamp), (c) => c.charCodeAt(0)) };
}

/** Told of every stored record or hint a scan skipped because it failed its checksum. */
export type CorruptionListener = (error: CorruptRecordError) => void;

export class ReplicaStore {
  /** Scans skip corrupt entries (they are not there as far as trees, handoff and backups go) and report them here. */
  onCorrupt: CorruptionListener = () => undefined;

  constructor(readonly store: Store) {}

  /** The record's bytes as encoded (without the checksum envelope); rejects with CorruptRecordError when they fail their checksum. */
  getRecordBytes(partition: number, key: Uint8Array): Promise<Uint8Array | undefined> {
    // One promise, no async layers: this is every read's and every write's first step.
    return this.store.get(dataKey(partition, key)).then(
      (stored) => (stored === undefined ? undefined : checked(stored, 'record', partition, key)),
      (err: unknown) => Promise.reject(asLostCopy(err, 'record', partition, key)),
    );
  }

  /**
   * Without `sync` by default: a replica write survives a process crash (see README).
   * `expiries` are the deadlines of the record's versions: their expiry index
   * entries go in the same batch, so a stored version with a deadline is
   * always found by the purger (re-putting an entry is harmless). So does the
   * ownership handoff's dirty mark when the key must be sent again (the stamp
   * is a change counter, see getDirty): the record is then never stored
   * without it, nor it without the record.
   */
  putRecordBytes(
    partition: number,
    key: Uint8Array,
    bytes: Uint8Array,
    options: WriteOptions = {},
    expiries: readonly number[] = [],
    dirtyStamp?: number,
  ): Promise<void> {
    const empty = new Uint8Array(0);
    return this.store.write(
      [
        { type: 'put', key: dataKey(partition, key), value: seal(bytes) },
        ...expiries.map((e) => ({ type: 'put' as const, key: expiryKey(e, partition, key), value: empty })),
        ...(dirtyStamp === undefined ? [] : [dirtyMark(partition, key, dirtyStamp)]),
      ],
      options,
    );
  }

  /** Expiry index entries due by `now` (ms; a version is expired from its deadline on), oldest deadline first, at most `limit`. */
  async *scanExpired(now: number, limit: number): AsyncGenerator<{ readonly expiresAt: number; readonly partition: number; readonly key: Uint8Array }> {
    for await (const [storageKey] of this.store.iterate({ ...expiredBeforeRange(now + 1), limit })) yield parseExpiryKey(storageKey);
  }

  /** Forgets index entries the purger has dealt with. */
  deleteExpiryEntries(entries: readonly { readonly expiresAt: number; readonly partition: number; readonly key: Uint8Array }[]): Promise<void> {
    return this.store.write(entries.map((e) => ({ type: 'del' as const, key: expiryKey(e.expiresAt, e.partition, e.key) })));
  }

  /** Number of expiry index entries (a scan; for status and tests). */
  async countExpiryEntries(): Promise<number> {
    let n = 0;
    for await (const _ of this.store.iterate(expiredBeforeRange(Number.MAX_SAFE_INTEGER))) n++;
    return n;
  }

  deleteRecord(partition: number, key: Uint8Array, options: WriteOptions = {}): Promise<void> {
    return this.store.write([{ type: 'del', key: dataKey(partition, key) }], options);
  }

  /** The records of one partition in key order, from a snapshot taken at the first step. */
  async *scanPartition(partition: number, options: PartitionScanOptions = {}): AsyncGenerator<RecordEntry> {
    const range = partitionRange(partition);
    const gte = options.afterKey === undefined ? range.gte : successor(dataKey(partition, options.afterKey));
    const scan = options.limit === undefined ? { gte, lt: range.lt } : { gte, lt: range.lt, limit: options.limit };
    for await (const [storageKey, stored] of this.store.iterate(scan)) {
      const key = parseDataKey(storageKey).key;
      const bytes = unseal(stored);
      if (bytes === undefined) this.onCorrupt(new CorruptRecordError('record', partition, key));
      else yield isLegacy(stored) ? { key, bytes, legacy: true } : { key, bytes };
    }
  }

  /** Every key stored in a partition, unchecked: corrupt records included (dropping a partition must find them too). */
  async *scanPartitionKeys(partition: number): AsyncGenerator<Uint8Array> {
    for await (const [storageKey] of this.store.iterate(partitionRange(partition))) yield parseDataKey(storageKey).key;
  }

  /**
   * Number of records, in one partition or in all. This scans: keeping a
   * running count would need a read before every write (was the key new?)
   * and a per-key lock against concurrent writers, on the hot path, to serve
   * an occasional metric. Do not call it per request.
   */
  async countKeys(partition?: number): Promise<number> {
    let n = 0;
    for await (const _ of this.store.iterate(partition === undefined ? dataRange() : partitionRange(partition))) n++;
    return n;
  }

  /**
   * Gives a record stored before checksums its envelope, its bytes unchanged
   * (trees and replicas see the same payload). The caller holds the key's
   * lock: a write between the read and this put would be undone. False when
   * the record is gone or already sealed.
   */
  async resealRecord(partition: number, key: Uint8Array): Promise<boolean> {
    const stored = await this.store.get(dataKey(partition, key));
    if (stored === undefined || !isLegacy(stored)) return false;
    await this.store.write([{ type: 'put', key: dataKey(partition, key), value: seal(stored) }]);
    return true;
  }

  /** The hint's bytes as encoded; rejects with CorruptRecordError when they fail their checksum. */
  getHintBytes(partition: number, key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.store.get(hintKey(partition, key)).then(
      (stored) => (stored === undefined ? undefined : checked(stored, 'hint', partition, key)),
      (err: unknown) => Promise.reject(asLostCopy(err, 'hint', partition, key)),
    );
  }

  /** Hints are synced like the write they carry would be on its primary: they are someone else's data. */
  putHintBytes(partition: number, key: Uint8Array, bytes: Uint8Array, options: WriteOptions = {}): Promise<void> {
    return this.store.write([{ type: 'put', key: hintKey(partition, key), value: seal(bytes) }], options);
  }

  deleteHint(partition: number, key: Uint8Array, options: WriteOptions = {}): Promise<void> {
    return this.store.write([{ type: 'del', key: hintKey(partition, key) }], options);
  }

  /** Every hint in (partition, key) order, resuming after a given one. */
  async *scanHints(options: { readonly after?: { partition: number; key: Uint8Array }; readonly limit?: number } = {}): AsyncGenerator<
    RecordEntry & { readonly partition: number }
  > {
    const range = hintRange();
    const gte = options.after === undefined ? range.gte : successor(hintKey(options.after.partition, options.after.key));
    const scan = options.limit === undefined ? { gte, lt: range.lt } : { gte, lt: range.lt, limit: options.limit };
    for await (const [storageKey, stored] of this.store.iterate(scan)) {
      const { partition, key } = parseHintKey(storageKey);
      const bytes = unseal(stored);
      if (bytes === undefined) this.onCorrupt(new CorruptRecordError('hint', partition, key));
      else yield { partition, key, bytes };
    }
  }

  /** The hinted copies kept for keys of one partition, in key order (bytes as stored by putHintBytes). */
  async *scanPartitionHints(partition: number): AsyncGenerator<RecordEntry> {
    for await (const [storageKey, stored] of this.store.iterate(hintPartitionRange(partition))) {
      const key = parseHintKey(storageKey).key;
      const bytes = unseal(stored);
      if (bytes === undefined) this.onCorrupt(new CorruptRecordError('hint', partition, key));
      else yield { key, bytes };
    }
  }

  async getDirty(partition: number, key: Uint8Array): Promise<number | undefined> {
    const v = await this.store.get(dirtyKey(partition, key));
    return v === undefined ? undefined : Number(String.fromCharCode(...v));
  }

  deleteDirty(partition: number, key: Uint8Array): Promise<void> {
    return this.store.write([{ type: 'del', key: dirtyKey(partition, key) }]);
  }

  async *scanDirty(partition: number, limit?: number): AsyncGenerator<Uint8Array> {
    const range = dirtyPartitionRange(partition);
    for await (const [k] of this.store.iterate(limit === undefined ? range : { ...range, limit })) yield parseDirtyKey(k).key;
  }

  /** Whether any record of the partition is stored here. */
  async hasData(partition: number): Promise<boolean> {
    for await (const _ of this.store.iterate({ ...partitionRange(partition), limit: 1 })) return true;
    return false;
  }

  /** Whether this node keeps any hinted copy of a key of the partition. */
  async hasHints(partition: number): Promise<boolean> {
    for await (const _ of this.store.iterate({ ...hintPartitionRange(partition), limit: 1 })) return true;
    return false;
  }

  /**
   * Asks the backend to reclaim the space of deleted entries across every key
   * space (LevelDB compaction). False when the backend has no such thing
   * (the in-memory store).
   */
  async compact(): Promise<boolean> {
    const backend = this.store as Store & { compactRange?: (gte: Uint8Array, lt: Uint8Array) => Promise<void> };
    if (typeof backend.compactRange !== 'function') return false;
    // LevelDB's manual compaction pushes each level into the next but never rewrites the
    // deepest one on its own, where an overwritten value survives if a snapshot (an open
    // iterator) was held when an earlier compaction wrote it there. Deleting two absent keys
    // at both ends of the key space puts a table spanning everything on top, so every
    // level below is merged and rewritten, dropping what is shadowed.
    await this.store.write([
      { type: 'del', key: Uint8Array.of(0x00) },
      { type: 'del', key: Uint8Array.of(0xfe) },
    ]);
    await backend.compactRange(Uint8Array.of(0x00), Uint8Array.of(0xff));
    return true;
  }

  /** Resolves once everything written before it is on disk (an empty synced batch). */
  syncBarrier(): Promise<void> {
    return this.store.write([], { sync: true });
  }

  /**
   * A metadata value; throws CorruptMetaError when it fails its checksum (each
   * caller decides what is safe then). `sealedOnly`: a value without the
   * envelope reads as absent — for values whose reader cannot tell a damaged
   * one from a valid one (a handoff checkpoint is any key), where absent is safe.
   */
  async getMeta(name: string, options: { readonly sealedOnly?: boolean } = {}): Promise<Uint8Array | undefined> {
    return (await this.storedMeta(name, options.sealedOnly === true))?.bytes;
  }

  /**
   * A metadata value read through `parse`, which throws on bytes not in its
   * format (reported as CorruptMetaError, as a failed checksum is). A value
   * written before checksums that parses is sealed now (best effort: a store
   * refusing writes must not make a valid value look damaged), as its writer
   * may not rewrite it for a long time.
   */
  async readMeta<T>(name: string, parse: (bytes: Uint8Array) => T, options: { readonly sealedOnly?: boolean; readonly sync?: boolean } = {}): Promise<{ value: T } | undefined> {
    const meta = await this.storedMeta(name, options.sealedOnly === true);
    if (meta === undefined) return undefined;
    const { bytes, sealed } = meta;
    let value: T;
    try {
      value = parse(bytes);
    } catch (err) {
      throw err instanceof CorruptMetaError ? err : new CorruptMetaError(name, `not in its format (${String(err)})`);
    }
    if (!sealed) await this.putMeta(name, bytes, { sync: options.sync ?? true }).catch(() => undefined);
    return { value };
  }

  private async storedMeta(name: string, sealedOnly: boolean): Promise<{ bytes: Uint8Array; sealed: boolean } | undefined> {
    const stored = await this.store.get(metaKey(name));
    if (stored === undefined) return undefined;
    const sealed = isSealed(stored);
    if (!sealed && sealedOnly) return undefined;
    const bytes = unsealMeta(stored);
    if (bytes === undefined) throw new CorruptMetaError(name, 'it fails its checksum: the disk changed it');
    return { bytes, sealed };
  }

  /** Synced by default: metadata is rare and must not be lost with the machine. Sealed with a checksum, as records are. */
  putMeta(name: string, bytes: Uint8Array, options: WriteOptions = { sync: true }): Promise<void> {
    return this.store.write([{ type: 'put', key: metaKey(name), value: seal(bytes) }], options);
  }

  deleteMeta(name: string, options: WriteOptions = { sync: true }): Promise<void> {
    return this.store.write([{ type: 'del', key: metaKey(name) }], options);
  }
}

/**
 * A point read's error. LevelDB's own finding of a damaged table block under
 * the key ("corrupted compressed block contents") is the key's copy lost, like
 * a failed checksum. (Scans over such a block fail as a whole: see repairStore.)
 */
function asLostCopy(err: unknown, kind: 'record' | 'hint', partition: number, key: Uint8Array): unknown {
  return (err as { code?: unknown } | null)?.code === 'LEVEL_CORRUPTION' ? new CorruptRecordError(kind, partition, key, { cause: err }) : err;
}

function checked(stored: Uint8Array, kind: 'record' | 'hint', partition: number, key: Uint8Array): Uint8Array {
  const bytes = unseal(stored);
  if (bytes === undefined) throw new CorruptRecordError(kind, partition, key);
  return bytes;
}
