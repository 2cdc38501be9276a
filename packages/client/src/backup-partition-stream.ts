/**
 * Reads one replica's GET /admin/backup/partition/:p body: length-prefixed
 * msgpack frames `[keyBytes, recordWire]` in key order, then `{ entries }`.
 * A body that stops before that end frame (the node failed mid-scan) or whose
 * count disagrees is an error, never a silently shorter partition.
 */
import { ByteReader } from './backup-byte-reader.js';
import { decodeEntry, unpackValue, type BackupEntry } from './backup-entry.js';
import { entryBytesMax } from './backup-file.js';

export async function* readPartitionStream(body: AsyncIterable<Uint8Array>, where: string): AsyncGenerator<BackupEntry> {
  const reader = new ByteReader(body);
  let count = 0;
  let previous: Buffer | undefined;
  try {
    for (;;) {
      const head = await reader.read(4);
      if (head.length < 4) throw new Error(`${where}: the stream ended after ${count} records without its end mark`);
      const length = head.readUInt32BE(0);
      if (length > entryBytesMax) throw new Error(`${where}: a frame of ${length} bytes (at most ${entryBytesMax})`);
      const payload = await reader.read(length);
      if (payload.length < length) throw new Error(`${where}: the stream ended inside record ${count + 1}`);
      // Entries are msgpack arrays (0x90..0x9f fixarray); the end mark is a map.
      if (((payload[0] ?? 0) & 0xf0) !== 0x90) {
        const end = unpackValue(payload) as { entries?: unknown } | null;
        if (end?.entries !== count) throw new Error(`${where}: the node says ${String(end?.entries)} records, ${count} arrived`);
        if (!(await reader.atEnd())) throw new Error(`${where}: bytes after the end mark`);
        return;
      }
      let entry: BackupEntry;
      try {
        entry = decodeEntry(payload);
      } catch (err) {
        throw new Error(`${where}: record ${count + 1}: ${err instanceof Error ? err.message : String(err)}`);
      }
      // The merge across replicas relies on key order; check it rather than trust it.
      if (previous !== undefined && Buffer.compare(previous, entry.key) >= 0) throw new Error(`${where}: records out of key order`);
      previous = entry.key;
      count++;
      yield entry;
    }
  } finally {
    await reader.close();
  }
}
