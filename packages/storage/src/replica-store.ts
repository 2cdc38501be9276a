/**
 * A replica's view of its store: opaque record bytes addressed by
 * (partition, key), plus named metadata. It knows the key layout (keys.ts)
 * and nothing about what the bytes mean; encoding records is core's job.
 * It works over any `Store`, so the simulator's in-memory store can stand in
 * for LevelDB.
 */
import type { Store } from '@ringkv/core';
import { successor } from './bytes.js';
import { dataKey, dataRange, dirtyKey, dirtyPartitionRange, hintKey, parseDirtyKey, hintPartitionRange, hintRange, metaKey, parseDataKey, parseHintKey, partitionRange } from './keys.js';

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
}

export class ReplicaStore {
  constructor(readonly store: Store) {}

  getRecordBytes(partition: number, key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.store.get(dataKey(partition, key));
  }

  /** Without `sync` by default: a replica write survives a process crash (see README). */
  putRecordBytes(partition: number, key: Uint8Array, bytes: Uint8Array, options: WriteOptions = {}): Promise<void> {
    return this.store.write([{ type: 'put', key: dataKey(partition, key), value: bytes }], options);
  }

  deleteRecord(partition: number, key: Uint8Array, options: WriteOptions = {}): Promise<void> {
    return this.store.write([{ type: 'del', key: dataKey(partition, key) }], options);
  }

  /** The records of one partition in key order, from a snapshot taken at the first step. */
  async *scanPartition(partition: number, options: PartitionScanOptions = {}): AsyncGenerator<RecordEntry> {
    const range = partitionRange(partition);
    const gte = options.afterKey === undefined ? range.gte : successor(dataKey(partition, options.afterKey));
    const scan = options.limit === undefined ? { gte, lt: range.lt } : { gte, lt: range.lt, limit: options.limit };
    for await (const [storageKey, bytes] of this.store.iterate(scan)) {
      yield { key: parseDataKey(storageKey).key, bytes };
    }
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

  getHintBytes(partition: number, key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.store.get(hintKey(partition, key));
  }

  /** Hints are synced like the write they carry would be on its primary: they are someone else's data. */
  putHintBytes(partition: number, key: Uint8Array, bytes: Uint8Array, options: WriteOptions = {}): Promise<void> {
    return this.store.write([{ type: 'put', key: hintKey(partition, key), value: bytes }], options);
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
    for await (const [storageKey, bytes] of this.store.iterate(scan)) {
      const { partition, key } = parseHintKey(storageKey);
      yield { partition, key, bytes };
    }
  }

  /** Marks a key to be sent again by an ownership handoff (the value is a change counter). */
  putDirty(partition: number, key: Uint8Array, stamp: number): Promise<void> {
    return this.store.write([{ type: 'put', key: dirtyKey(partition, key), value: Uint8Array.from(String(stamp), (c) => c.charCodeAt(0)) }]);
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

  getMeta(name: string): Promise<Uint8Array | undefined> {
    return this.store.get(metaKey(name));
  }

  /** Synced by default: metadata is rare and must not be lost with the machine. */
  putMeta(name: string, bytes: Uint8Array, options: WriteOptions = { sync: true }): Promise<void> {
    return this.store.write([{ type: 'put', key: metaKey(name), value: bytes }], options);
  }

  deleteMeta(name: string, options: WriteOptions = { sync: true }): Promise<void> {
    return this.store.write([{ type: 'del', key: metaKey(name) }], options);
  }
}
