import {
  applyWrite,
  decodeRecord,
  encodeRecord,
  mergeRecords,
  recordEquals,
  type Dot,
  type Dots,
  type KvRecord,
} from '@ringkv/core';
import type { ReplicaStore } from '@ringkv/storage';
import { KeyedMutex } from './keyed-mutex.js';

/** A client write as the coordinating replica applies it. */
export interface LocalWrite {
  readonly context: Dots;
  /** null deletes (writes a tombstone) */
  readonly value: Uint8Array | null;
  readonly contentType: string;
  readonly writtenAt: number;
}

export interface ReplicaStats {
  merges: number;
  mergesChanged: number;
  writesCoordinated: number;
}

/**
 * This node's replica of the keys it stores: every change is a merge into
 * what is held, under a per-key lock, so the same version arriving twice,
 * late or out of order changes nothing.
 */
export class ReplicaService {
  private readonly locks = new KeyedMutex();
  readonly stats: ReplicaStats = { merges: 0, mergesChanged: 0, writesCoordinated: 0 };

  constructor(
    private readonly store: ReplicaStore,
    /** this replica's version actor: node id plus store epoch */
    readonly actor: string,
    private readonly options: { readonly syncWrites: boolean },
  ) {}

  async read(partition: number, key: Uint8Array): Promise<KvRecord | undefined> {
    const bytes = await this.store.getRecordBytes(partition, key);
    return bytes === undefined ? undefined : decodeRecord(bytes);
  }

  /** Merges a version from another replica (replication, read repair, hints). Returns the stored result. */
  async merge(partition: number, key: Uint8Array, incoming: KvRecord): Promise<KvRecord> {
    return this.locks.run(lockKey(partition, key), async () => {
      this.stats.merges++;
      const current = await this.read(partition, key);
      const merged = current === undefined ? incoming : mergeRecords(current, incoming);
      if (current === undefined || !recordEquals(current, merged)) {
        this.stats.mergesChanged++;
        await this.store.putRecordBytes(partition, key, encodeRecord(merged), { sync: this.options.syncWrites });
      }
      return merged;
    });
  }

  /**
   * Creates a new version of the key as its coordinator: the event gets a dot
   * of this replica's actor, numbered after every dot of that actor the local
   * record has seen, and is stored before anyone else hears of it.
   */
  async write(partition: number, key: Uint8Array, w: LocalWrite): Promise<{ record: KvRecord; context: Dots; dot: Dot }> {
    return this.locks.run(lockKey(partition, key), async () => {
      const current = await this.read(partition, key);
      const { record, context, dot } = applyWrite(current, { actor: this.actor, ...w });
      await this.store.putRecordBytes(partition, key, encodeRecord(record), { sync: this.options.syncWrites });
      this.stats.writesCoordinated++;
      return { record, context, dot };
    });
  }
}

function lockKey(partition: number, key: Uint8Array): string {
  return `${partition}:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')}`;
}
