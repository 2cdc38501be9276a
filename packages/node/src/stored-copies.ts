/**
 * Reads a key's two stored copies — its data record and its hinted copy —
 * knowing either may be corrupt. A corrupt copy is never read as quietly
 * absent where that would be a lie: a reader gets CorruptRecordError, and
 * a change under the key's lock sees it as absent only once no dot it may
 * hold can be numbered again (ActorRenewal).
 */
import { decodeRecord, RecordFormatError, type KvRecord } from '@ringkv/core';
import { CorruptRecordError, type ReplicaStore } from '@ringkv/storage';
import type { ActorRenewal } from './actor-renewal.js';
import { decodeHint, type HintRecord } from './hint-record.js';

/** A key's data record loaded for a change: its stored bytes (for the Merkle tree), decoded, and whether a corrupt copy was read as absent. */
export interface LoadedData {
  before: Uint8Array | undefined;
  current: KvRecord | undefined;
  corrupt?: true;
}

export class StoredCopies {
  constructor(
    private readonly store: Pick<ReplicaStore, 'getRecordBytes' | 'getHintBytes'>,
    private readonly actors: Pick<ActorRenewal, 'cover' | 'forget'>,
    /** tells the node of a corrupt copy (ReplicaService.onCorrupt, read when called: the node sets it after construction) */
    private readonly onCorrupt: (error: CorruptRecordError) => void,
  ) {}

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
  async loadData(partition: number, key: Uint8Array, ifCorrupt: 'refuse' | 'absent'): Promise<LoadedData> {
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
  async loadHint(partition: number, key: Uint8Array): Promise<HintRecord | undefined> {
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
}

/** A stored copy's failure as CorruptRecordError: its checksum failed, or it does not decode (written before checksums, or by a bug). */
export function asCorrupt(err: unknown, kind: 'record' | 'hint', partition: number, key: Uint8Array): CorruptRecordError | undefined {
  if (err instanceof CorruptRecordError) return err;
  if (err instanceof RecordFormatError) return new CorruptRecordError(kind, partition, key);
  return undefined;
}
