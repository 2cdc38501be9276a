/**
 * One backed-up key as bytes: msgpack `[keyBytes, recordWire]`, the shape of
 * a partition stream's frames, a backup file's entries and a restore batch's
 * items. Decoding validates the record with core's recordFromWire, so a
 * damaged entry is reported where it is read.
 */
import { keyBytesMax, recordFromWire, recordToWire, type KvRecord } from '@ringkv/core';
import { Packr } from 'msgpackr';

export interface BackupEntry {
  readonly key: Buffer;
  readonly record: KvRecord;
}

// Plain msgpack, like the node's record codec: nothing in the bytes can instantiate anything.
const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false });

/** The entry's msgpack bytes, copied out of msgpackr's shared buffer (callers keep them). */
export function encodeEntry(key: Uint8Array, record: KvRecord): Buffer {
  return Buffer.from(packr.pack([key, recordToWire(record)]));
}

/** Throws a plain Error saying what is wrong; callers add where (file offset, node). */
export function decodeEntry(bytes: Uint8Array): BackupEntry {
  let decoded: unknown;
  try {
    decoded = packr.unpack(bytes);
  } catch (err) {
    throw new Error(`not msgpack (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw new Error('expected [key, record]');
  const [key, wire] = decoded as unknown[];
  if (!(key instanceof Uint8Array) || key.length === 0 || key.length > keyBytesMax) {
    throw new Error(`the key must be 1..${keyBytesMax} bytes`);
  }
  return { key: Buffer.from(key), record: recordFromWire(wire) };
}

/** msgpack bytes of an arbitrary value (headers, trailers, control frames). */
export function packValue(value: unknown): Buffer {
  return Buffer.from(packr.pack(value));
}

export function unpackValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** The msgpack array header for `count` items, so a batch body is this plus the entries' bytes as they are. */
export function msgpackArrayHeader(count: number): Buffer {
  if (count < 16) return Buffer.from([0x90 | count]);
  if (count <= 0xffff) {
    const b = Buffer.allocUnsafe(3);
    b[0] = 0xdc;
    b.writeUInt16BE(count, 1);
    return b;
  }
  const b = Buffer.allocUnsafe(5);
  b[0] = 0xdd;
  b.writeUInt32BE(count, 1);
  return b;
}
