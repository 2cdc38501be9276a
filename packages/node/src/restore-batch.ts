/**
 * The body of POST /admin/restore: a msgpack array of `[keyBytes, recordWire]`
 * entries. It comes from a file someone may have edited or damaged, so every
 * entry is validated (key rules of the HTTP API, recordFromWire) before any is
 * stored: one bad entry makes the whole batch a 400 and nothing is written.
 */
import { RingkvError, encodeKey, recordFromWire, type KvRecord } from '@ringkv/core';
import { Packr } from 'msgpackr';
import { putBatchCountMax } from './rpc-ops.js';

export interface RestoreEntry {
  readonly key: Uint8Array;
  readonly record: KvRecord;
}

/** Entries per request: a batch goes to each replica as one replica.put-batch RPC, which takes at most this many. */
export const restoreBatchCountMax = putBatchCountMax;
/** Body size per request. Half the RPC frame limit, so a batch always fits one replica.put-batch frame. */
export const restoreBodyBytesMax = 32 * 1024 * 1024;

const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false });
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const bad = (why: string): RingkvError => new RingkvError('BAD_REQUEST', `restore batch: ${why}`);

export function parseRestoreBatch(body: unknown): RestoreEntry[] {
  if (!(body instanceof Uint8Array) || body.length === 0) throw bad('send a msgpack array of [key, record] entries (Content-Type: application/x-msgpack)');
  let decoded: unknown;
  try {
    decoded = packr.unpack(body);
  } catch (err) {
    throw bad(`not msgpack (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!Array.isArray(decoded)) throw bad('expected an array of [key, record] entries');
  if (decoded.length > restoreBatchCountMax) throw bad(`${decoded.length} entries; at most ${restoreBatchCountMax} per request`);
  return (decoded as unknown[]).map((entry, i) => parseEntry(entry, i));
}

function parseEntry(entry: unknown, i: number): RestoreEntry {
  if (!Array.isArray(entry) || entry.length !== 2) throw bad(`entry ${i}: expected [key, record]`);
  const [key, wire] = entry as unknown[];
  if (!(key instanceof Uint8Array)) throw bad(`entry ${i}: the key must be bytes`);
  try {
    // The same rules as a key in a URL: 1..1024 bytes of well-formed UTF-8.
    const canonical = encodeKey(utf8.decode(key));
    if (Buffer.compare(canonical, key) !== 0) throw new Error('not canonical UTF-8');
    return { key: canonical, record: recordFromWire(wire) };
  } catch (err) {
    throw bad(`entry ${i}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
