import { basename } from 'node:path';
import { encodeKey, partitionOfKey } from '@ringkv/core';
import { isWorkloadClient, type HistoryEvent } from './chaos-history.js';
import { valueNeedle } from './chaos-values.js';

/**
 * The pure half of the `corrupt` fault (chaos-corrupt.ts does the disk):
 * which values the workload wrote, where their bytes sit in a table file,
 * which keys the write-ahead log rewrites, and which bit to flip.
 */

/** A value the workload wrote, with the bytes to look for. */
export interface WrittenValue {
  readonly key: string;
  readonly value: string;
  readonly needle: Buffer;
}

/** Where one value's needle was found. */
export interface ValueHit {
  readonly file: string;
  /** of the needle's first byte in the file */
  readonly offset: number;
  readonly key: string;
  readonly value: string;
  readonly needleLength: number;
}

/** The bit to flip: `offset` in `hit.file`, `bit` 0..7. */
export interface BitFlip {
  readonly hit: ValueHit;
  /** which byte of the needle */
  readonly byteInNeedle: number;
  readonly offset: number;
  readonly bit: number;
}

/**
 * Per key, the value of the last PUT invoked (whatever its outcome), unless a
 * DELETE of the key was invoked after it. Nothing written later can have
 * superseded it, so every record of the key newer than one holding it holds
 * it too (a merge keeps it as a sibling): the newest copy of it on disk is the
 * copy the node reads. An older value may sit in a table only as a version
 * LevelDB kept for a snapshot, shadowed: a bit flipped there is never read.
 * Values without a findable suffix are left out.
 */
export function newestValues(events: readonly HistoryEvent[]): WrittenValue[] {
  const byKey = new Map<string, WrittenValue | undefined>();
  for (const e of events) {
    if (e.phase !== 'invoke' || !isWorkloadClient(e.client) || e.key === undefined) continue;
    if (e.op === 'delete') byKey.set(e.key, undefined);
    if (e.op !== 'put' || e.value === undefined) continue;
    const needle = valueNeedle(e.value);
    byKey.set(e.key, needle === undefined ? undefined : { key: e.key, value: e.value, needle });
  }
  return [...byKey.keys()].sort().flatMap((k) => byKey.get(k) ?? []);
}

/** The part of a node's GET /ring the fault needs: who replicates each partition. */
export interface RingReplicas {
  readonly partitionCount: number;
  /** partitions[p]: the N primary replicas of partition p */
  readonly partitions: readonly (readonly string[])[];
}

/**
 * Whether `node` is a primary replica of `key`. Only such keys are looked for:
 * what else a node holds of a key is a hint (for a primary that was down),
 * deleted once delivered — and a deleted entry's old bytes may stay in a
 * table for a snapshot, looking live but never read again.
 */
export function isPrimaryOf(ring: RingReplicas, node: string, key: string): boolean {
  return ring.partitions[partitionOfKey(encodeKey(key), ring.partitionCount)]?.includes(node) === true;
}

/** Offsets of every occurrence of `needle` in `bytes`. */
export function occurrences(bytes: Buffer, needle: Uint8Array): number[] {
  const at: number[] = [];
  if (needle.length === 0) return at;
  for (let i = bytes.indexOf(needle); i !== -1; i = bytes.indexOf(needle, i + 1)) at.push(i);
  return at;
}

/** Every place in one file's bytes where one of `values` is stored literally. */
export function findValues(file: string, bytes: Buffer, values: readonly WrittenValue[]): ValueHit[] {
  return values.flatMap((v) => occurrences(bytes, v.needle).map((offset) => ({ file, offset, key: v.key, value: v.value, needleLength: v.needle.length })));
}

/**
 * Keys that a write-ahead log may hold a newer record of. A table copy of such
 * a key is shadowed once the log is replayed at the restart: a bit flipped in
 * it would never be read. The log stores keys uncompressed; a key counts when
 * its bytes are followed by anything but a digit (so `shared-1` is not found
 * inside `shared-12`). Errs on the side of "mentioned": that only narrows
 * the choice.
 */
export function keysInLog(log: Buffer, keys: Iterable<string>): Set<string> {
  const mentioned = new Set<string>();
  for (const key of keys) {
    const needle = Buffer.from(key, 'utf8');
    const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;
    if (occurrences(log, needle).some((at) => !isDigit(log[at + needle.length]))) mentioned.add(key);
  }
  return mentioned;
}

/** LevelDB's number of a table file (`000123.ldb` → 123); -1 when the name has none. */
export function tableNumber(file: string): number {
  const m = /^([0-9]+)\.(ldb|sst)$/.exec(basename(file));
  return m === null ? -1 : Number(m[1]);
}

/**
 * The copy of each value the node reads. After a full compaction a value may
 * still be in a table the compaction replaced: LevelDB deletes such a file
 * only once no open iterator reads it. A compaction's output gets a higher
 * number than its inputs, so of the tables holding the value the one with the
 * highest number is live. In it, entries are ordered by key and one key's
 * versions newest first, so the first copy is the newest version (records,
 * prefix 0x01, also sort before hints, 0x02).
 */
export function liveCopies(hits: readonly ValueHit[]): ValueHit[] {
  const best = new Map<string, ValueHit>();
  for (const h of hits) {
    const b = best.get(h.value);
    const newer = b === undefined || tableNumber(h.file) > tableNumber(b.file) || (h.file === b.file && h.offset < b.offset);
    if (newer) best.set(h.value, h);
  }
  return [...best.values()];
}

/** A random byte of a random hit, and a random bit of it. */
export function chooseFlip(hits: readonly ValueHit[], random: { int(n: number): number }): BitFlip | undefined {
  if (hits.length === 0) return undefined;
  const hit = hits[random.int(hits.length)] as ValueHit;
  const byteInNeedle = random.int(hit.needleLength);
  return { hit, byteInNeedle, offset: hit.offset + byteInNeedle, bit: random.int(8) };
}

/** Flips one bit in place. */
export function flipBit(bytes: Buffer, offset: number, bit: number): void {
  if (offset < 0 || offset >= bytes.length || !Number.isInteger(bit) || bit < 0 || bit > 7) {
    throw new RangeError(`cannot flip bit ${bit} at ${offset} of ${bytes.length} bytes`);
  }
  bytes[offset] = (bytes[offset] as number) ^ (1 << bit);
}
