import { partitionKeyId } from './partition-key-id.js';

/** Below this many bytes, hashing a record is about as cheap as the lookup and the comparison. */
const cachedBytesMin = 1024;

export interface LatestRecordCacheLimits {
  readonly entriesMax: number;
  /** record bytes held at most (each entry keeps its record's bytes to compare against) */
  readonly bytesMax: number;
}

const defaultLimits: LatestRecordCacheLimits = { entriesMax: 256, bytesMax: 16 * 1024 * 1024 };

/**
 * What was derived from the latest large record stored under each key (the
 * Merkle trees keep its entry hash here), with the record's bytes. A write of
 * a key replaces the record the previous write stored, so what that write
 * already derived from those bytes is reused — after comparing the bytes, so
 * an answer is always what deriving it from the bytes given would give. This
 * matters for hot keys holding many siblings: hashing a 75-sibling record
 * (11 KB) costs 17 µs, for the record replaced and again for the new one, on
 * every replica of every write of the key.
 */
export class LatestRecordCache<T> {
  private readonly entries = new Map<string, { readonly bytes: Uint8Array; readonly value: T }>();
  private bytesHeld = 0;

  constructor(private readonly limits: LatestRecordCacheLimits = defaultLimits) {}

  /** What was remembered with exactly these bytes for the key, else undefined. */
  get(partition: number, key: Uint8Array, bytes: Uint8Array): T | undefined {
    if (bytes.length < cachedBytesMin) return undefined;
    const known = this.entries.get(partitionKeyId(partition, key));
    return known !== undefined && Buffer.compare(known.bytes, bytes) === 0 ? known.value : undefined;
  }

  /**
   * The key now holds `bytes` (undefined: nothing), from which `value` derives;
   * small and oversized records are not kept. The cache keeps `bytes` itself:
   * the caller must hand over an array of their own that nobody changes
   * (encodeRecord's output is one), so that a comparison with it stays true.
   */
  remember(partition: number, key: Uint8Array, bytes: Uint8Array | undefined, value: T | undefined): void {
    const id = partitionKeyId(partition, key);
    this.forget(id);
    if (bytes === undefined || value === undefined || bytes.length < cachedBytesMin || bytes.length > this.limits.bytesMax) return;
    this.entries.set(id, { bytes, value });
    this.bytesHeld += bytes.length;
    // Oldest first: a Map keeps insertion order, and a rewritten key was re-inserted above.
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.limits.entriesMax && this.bytesHeld <= this.limits.bytesMax) break;
      this.forget(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private forget(id: string): void {
    const known = this.entries.get(id);
    if (known === undefined) return;
    this.entries.delete(id);
    this.bytesHeld -= known.bytes.length;
  }
}
