/**
 * The layout of every key a node keeps in its one LevelDB. The first byte is
 * the key space, so each kind of record is one contiguous range and a scan
 * of one kind never touches another:
 *
 *   0x00 | ascii name                      node metadata (identity, flags)
 *   0x01 | partition u16 BE | key bytes    data records (sibling sets)
 *   0x02 | partition u16 BE | key bytes    hinted copies kept for down primaries
 *   0x03 | ...                             reserved: Merkle leaves / trees
 *   0x04 | partition u16 BE | key bytes    keys written while their partition is being handed off
 *   0x05 | expiresAt u64 BE | partition u16 BE | key bytes
 *                                          expiry index: a data record holds a version with this deadline
 *
 * The partition comes before the key so that one partition is one range:
 * handoff, anti-entropy and dropping a partition are range scans.
 * Big-endian keeps partitions in numeric order under bytewise comparison.
 */

export const keySpace = {
  meta: 0x00,
  data: 0x01,
  hint: 0x02,
  merkle: 0x03,
  handoffDirty: 0x04,
  expiry: 0x05,
} as const;

/** Partitions are u16 on disk; core's Q (a power of two, default 256) must fit. */
export const partitionCountMax = 0x1_0000;

export interface ByteRange {
  readonly gte: Uint8Array;
  readonly lt: Uint8Array;
}

export function dataKey(partition: number, key: Uint8Array): Uint8Array {
  return spacedKey(keySpace.data, partition, key);
}

/** Inverse of `dataKey`. The returned `key` is a view into `storageKey`. */
export function parseDataKey(storageKey: Uint8Array): { partition: number; key: Uint8Array } {
  return parseSpacedKey(keySpace.data, storageKey);
}

/** Every data key of one partition, and nothing else. */
export function partitionRange(partition: number): ByteRange {
  return spacePartitionRange(keySpace.data, partition);
}

/** Every data key of every partition. */
export function dataRange(): ByteRange {
  return spaceRange(keySpace.data);
}

/** A hinted copy of a key this node keeps for a primary that was down. */
export function hintKey(partition: number, key: Uint8Array): Uint8Array {
  return spacedKey(keySpace.hint, partition, key);
}

export function parseHintKey(storageKey: Uint8Array): { partition: number; key: Uint8Array } {
  return parseSpacedKey(keySpace.hint, storageKey);
}

export function hintRange(): ByteRange {
  return spaceRange(keySpace.hint);
}

/** A key written at a handoff source after the scan passed it: it must be sent again. */
export function dirtyKey(partition: number, key: Uint8Array): Uint8Array {
  return spacedKey(keySpace.handoffDirty, partition, key);
}

export function parseDirtyKey(storageKey: Uint8Array): { partition: number; key: Uint8Array } {
  return parseSpacedKey(keySpace.handoffDirty, storageKey);
}

export function dirtyPartitionRange(partition: number): ByteRange {
  return spacePartitionRange(keySpace.handoffDirty, partition);
}

/** Every hint of one partition. */
export function hintPartitionRange(partition: number): ByteRange {
  return spacePartitionRange(keySpace.hint, partition);
}

/**
 * An expiry index entry (empty value). Deadline first, so "everything due
 * before now" is one range from the start of the space; the purger scans
 * nothing else. Entries may be stale (the record changed since): the purger
 * re-reads the record and only trusts that.
 */
export function expiryKey(expiresAt: number, partition: number, key: Uint8Array): Uint8Array {
  checkExpiresAt(expiresAt);
  const data = spacedKey(keySpace.expiry, partition, key);
  const out = new Uint8Array(8 + data.length);
  out[0] = keySpace.expiry;
  new DataView(out.buffer).setBigUint64(1, BigInt(expiresAt));
  out.set(data.subarray(1), 9);
  return out;
}

export function parseExpiryKey(storageKey: Uint8Array): { expiresAt: number; partition: number; key: Uint8Array } {
  if (storageKey.length < 11 || storageKey[0] !== keySpace.expiry) throw new RangeError('not a key of space 0x05');
  const expiresAt = Number(new DataView(storageKey.buffer, storageKey.byteOffset, storageKey.byteLength).getBigUint64(1));
  const partition = ((storageKey[9] as number) << 8) | (storageKey[10] as number);
  return { expiresAt, partition, key: storageKey.subarray(11) };
}

/** Index entries whose deadline is before `now` (ms): the ones due for purging. */
export function expiredBeforeRange(now: number): ByteRange {
  checkExpiresAt(now);
  const lt = new Uint8Array(9);
  lt[0] = keySpace.expiry;
  new DataView(lt.buffer).setBigUint64(1, BigInt(now));
  return { gte: Uint8Array.of(keySpace.expiry), lt };
}

function checkExpiresAt(ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`expiry time must be a non-negative safe integer of ms, got ${ms}`);
}

function spacedKey(space: number, partition: number, key: Uint8Array): Uint8Array {
  checkPartition(partition);
  const out = new Uint8Array(3 + key.length);
  out[0] = space;
  out[1] = partition >>> 8;
  out[2] = partition & 0xff;
  out.set(key, 3);
  return out;
}

function parseSpacedKey(space: number, storageKey: Uint8Array): { partition: number; key: Uint8Array } {
  if (storageKey.length < 3 || storageKey[0] !== space) {
    throw new RangeError(`not a key of space 0x0${space.toString(16)}`);
  }
  const partition = ((storageKey[1] as number) << 8) | (storageKey[2] as number);
  return { partition, key: storageKey.subarray(3) };
}

function spacePartitionRange(space: number, partition: number): ByteRange {
  checkPartition(partition);
  const next = partition + 1;
  return {
    gte: Uint8Array.of(space, partition >>> 8, partition & 0xff),
    // The last partition ends where the space ends.
    lt: next === partitionCountMax ? Uint8Array.of(space + 1) : Uint8Array.of(space, next >>> 8, next & 0xff),
  };
}

function spaceRange(space: number): ByteRange {
  return { gte: Uint8Array.of(space), lt: Uint8Array.of(space + 1) };
}

/** Metadata names are printable ASCII so a dump of the store stays readable. */
export function metaKey(name: string): Uint8Array {
  if (!/^[\x21-\x7e]{1,64}$/.test(name)) {
    throw new RangeError(`metaKey: name must be 1-64 printable ASCII characters without spaces, got ${JSON.stringify(name)}`);
  }
  const out = new Uint8Array(1 + name.length);
  out[0] = keySpace.meta;
  for (let i = 0; i < name.length; i++) out[i + 1] = name.charCodeAt(i);
  return out;
}

function checkPartition(partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCountMax) {
    throw new RangeError(`partition must be an integer in [0, ${partitionCountMax}), got ${partition}`);
  }
}
