/**
 * The body of GET /admin/backup/partition/:p: one partition's records as this
 * node holds them, as length-prefixed msgpack frames (u32 big-endian length,
 * then the payload). Each record is one frame `[keyBytes, recordWire]`; a last
 * frame `{ entries }` says how many came, so a reader tells a complete stream
 * from one cut short by a failure (the HTTP status is sent before the scan).
 */
import { decodeRecord, recordToWire, type KvRecord } from '@ringkv/core';
import type { RecordEntry } from '@ringkv/storage';
import { Packr } from 'msgpackr';

/** The content type of a partition stream. */
export const backupStreamContentType = 'application/x-ringkv-partition-stream';

/** Frames are gathered into chunks of about this size: one write per record would cost more than the record. */
const chunkBytesTarget = 64 * 1024;

// Plain msgpack, as for stored records: no extension types or record structures.
const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false });

function frame(value: unknown): Buffer {
  const payload = packr.pack(value);
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

/**
 * Re-encodes each stored record after decoding it: decoding validates what is
 * on disk, so a damaged record stops the stream (no end frame) rather than
 * travelling into a backup. `decode` reads the stored bytes (a hinted copy is
 * wrapped with its targets).
 */
export async function* partitionStreamChunks(
  records: AsyncIterable<RecordEntry>,
  decode: (bytes: Uint8Array) => KvRecord = decodeRecord,
): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let entries = 0;
  for await (const { key, bytes } of records) {
    const f = frame([key, recordToWire(decode(bytes))]);
    entries++;
    pending.push(f);
    pendingBytes += f.length;
    if (pendingBytes >= chunkBytesTarget) {
      yield Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
    }
  }
  pending.push(frame({ entries }));
  yield Buffer.concat(pending);
}
