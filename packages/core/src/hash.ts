/**
 * Key hashing: which of the Q equal partitions of the hash space a key falls in.
 *
 * MD5 is used for its uniformity and because every platform has it, not for
 * security: an attacker who can choose keys can always overload one partition.
 * Only the top 32 bits of the digest are ever needed, because Q is at most 2^16
 * and a key's partition is the top log2(Q) bits of its hash.
 */
import { hash } from 'node:crypto';

/** Q may be at most 2^16 so that a partition index fits the top 16 hash bits. */
const partitionCountLimit = 65536;

/** Whether `q` can be a ring's partition count: a power of two in 1..65536. */
export function isValidPartitionCount(q: number): boolean {
  return Number.isInteger(q) && q >= 1 && q <= partitionCountLimit && (q & (q - 1)) === 0;
}

/** Throws a RangeError unless `q` is a valid partition count. */
export function assertValidPartitionCount(q: number): void {
  if (!isValidPartitionCount(q)) {
    throw new RangeError(`partition count must be a power of two in 1..${partitionCountLimit} (got ${q})`);
  }
}

/**
 * MD5 of `input` as a 16-character string, one char per digest byte ('binary'
 * is Node's name for Latin-1). A string, because it is the cheapest way out
 * of `crypto.hash`: a 'buffer' digest allocates an ArrayBuffer each time
 * (780 ns per key hash measured, against 254 ns this way), and every request
 * hashes its key several times.
 */
export function md5Binary(input: Uint8Array | string): string {
  return hash('md5', input, 'binary');
}

/** Bytes `at`..`at`+3 of an `md5Binary` digest, big-endian, as an unsigned 32-bit integer. */
export function digestWord(digest: string, at: 0 | 4 | 8 | 12): number {
  return (
    ((digest.charCodeAt(at) << 24) | (digest.charCodeAt(at + 1) << 16) | (digest.charCodeAt(at + 2) << 8) | digest.charCodeAt(at + 3)) >>> 0
  );
}

/** The first 4 bytes of MD5(key), big-endian, as an unsigned 32-bit integer. */
export function keyHashTop32(key: Uint8Array): number {
  return digestWord(md5Binary(key), 0);
}

/** log2(q) for a valid partition count: how many top hash bits pick the partition. */
export function partitionBits(q: number): number {
  assertValidPartitionCount(q);
  return 31 - Math.clz32(q);
}

/**
 * The partition of the hash of `top32` (as returned by keyHashTop32): its top
 * log2(Q) bits. Taking top bits rather than `hash % Q` keeps partition p the
 * contiguous hash range [p·2^32/Q, (p+1)·2^32/Q), so partitions are ranges.
 */
export function partitionOfHash(top32: number, partitionCount: number): number {
  const bits = partitionBits(partitionCount);
  // `>>> 32` is a no-op in JavaScript, hence the special case for Q = 1.
  return bits === 0 ? 0 : top32 >>> (32 - bits);
}

/** The partition a key belongs to in a ring of `partitionCount` partitions. */
export function partitionOfKey(key: Uint8Array, partitionCount: number): number {
  return partitionOfHash(keyHashTop32(key), partitionCount);
}
