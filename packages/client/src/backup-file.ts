/**
 * The backup file format (version 1):
 *
 *   "RINGKVBK"             8 bytes of magic, so `head -c 8` tells what a file is
 *   version                u16 big-endian
 *   frame 'H'              header: msgpack map (BackupHeader)
 *   frame 'E' …            one per key: msgpack [keyBytes, recordWire] (backup-entry.ts)
 *   frame 'T'              trailer: msgpack { entries, sha256 }
 *   end of file            nothing may follow the trailer
 *
 * A frame is a type byte, a u32 big-endian payload length, the payload. The
 * trailer's SHA-256 covers every byte before the trailer frame (magic, header
 * and entries), so a flipped bit anywhere, a cut-off file or a missing entry
 * is found. Length prefixes (rather than a bare msgpack stream) let a reader
 * check a frame's size against its limit before reading it, and say exactly
 * where a truncated file ends.
 *
 * Both sides stream: the writer buffers one chunk, the reader one frame.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import type { KvRecord } from '@ringkv/core';
import { ByteReader } from './backup-byte-reader.js';
import { decodeEntry, encodeEntry, packValue, unpackValue, type BackupEntry } from './backup-entry.js';

export const backupMagic = 'RINGKVBK';
export const backupFormatVersion = 1;

const frameType = { header: 0x48, entry: 0x45, trailer: 0x54 } as const; // 'H', 'E', 'T'
const preambleBytes = backupMagic.length + 2;
const frameHeadBytes = 5;
/** Larger than any record a node accepts (values ≤ the node's --value-bytes-max, times siblings). */
export const entryBytesMax = 64 * 1024 * 1024;
const headerBytesMax = 1024 * 1024;
const trailerBytesMax = 64 * 1024;
/** The writer gathers frames into writes of about this size. */
const writeChunkBytes = 1024 * 1024;

/** What the backup was taken from; informational except `formatVersion`. */
export interface BackupHeader {
  readonly createdAt: string;
  readonly cluster: {
    readonly partitionCount: number;
    readonly n: number;
    readonly r: number;
    readonly w: number;
    /** the ring epoch at the start of the backup */
    readonly epoch: number;
  };
  /** node ids the partitions were read from */
  readonly nodes: readonly string[];
  /** the program that wrote it, e.g. "ringkv 0.1.0" */
  readonly tool: string;
}

export interface BackupTrailer {
  readonly entries: number;
  /** hex SHA-256 of every byte before the trailer frame */
  readonly sha256: string;
}

/** The file is not a complete, intact ringkv backup. Nothing should be restored from it. */
export class BackupFileError extends Error {
  override readonly name = 'BackupFileError';
}

export interface BackupFileSummary {
  readonly entries: number;
  readonly bytes: number;
  readonly sha256: string;
}

function frame(type: number, payload: Buffer): Buffer[] {
  const head = Buffer.allocUnsafe(frameHeadBytes);
  head[0] = type;
  head.writeUInt32BE(payload.length, 1);
  return [head, payload];
}

/**
 * Writes a backup to `<path>.partial` and renames it to `path` only when the
 * trailer is written and synced: a failed or interrupted backup never leaves a
 * file under the name that looks like a finished one.
 */
export class BackupFileWriter {
  private readonly hash: Hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private count = 0;
  private closed = false;

  private constructor(
    private readonly path: string,
    private readonly partialPath: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string, header: BackupHeader): Promise<BackupFileWriter> {
    const partialPath = `${path}.partial`;
    const handle = await open(partialPath, 'w');
    const w = new BackupFileWriter(path, partialPath, handle);
    const preamble = Buffer.alloc(preambleBytes);
    preamble.write(backupMagic, 0, 'latin1');
    preamble.writeUInt16BE(backupFormatVersion, backupMagic.length);
    w.push([preamble, ...frame(frameType.header, packValue(header))], true);
    return w;
  }

  get entries(): number {
    return this.count;
  }

  /** Bytes handed to the file so far (the progress bar's figure). */
  get bytes(): number {
    return this.written + this.pendingBytes;
  }

  async add(key: Uint8Array, record: KvRecord): Promise<void> {
    const payload = encodeEntry(key, record);
    if (payload.length > entryBytesMax) throw new BackupFileError(`the record of one key is ${payload.length} bytes; the format allows ${entryBytesMax}`);
    this.count++;
    this.push(frame(frameType.entry, payload), true);
    if (this.pendingBytes >= writeChunkBytes) await this.flush();
  }

  async finish(): Promise<BackupFileSummary> {
    const sha256 = this.hash.digest('hex');
    const trailer: BackupTrailer = { entries: this.count, sha256 };
    this.push(frame(frameType.trailer, packValue(trailer)), false);
    await this.flush();
    await this.handle.sync();
    await this.handle.close();
    this.closed = true;
    await rename(this.partialPath, this.path);
    return { entries: this.count, bytes: this.written, sha256 };
  }

  /** Closes and deletes the partial file (after a failure). */
  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
    await rm(this.partialPath, { force: true });
  }

  private push(parts: Buffer[], hashed: boolean): void {
    for (const p of parts) {
      if (hashed) this.hash.update(p);
      this.pending.push(p);
      this.pendingBytes += p.length;
    }
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const chunk = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let off = 0;
    while (off < chunk.length) off += (await this.handle.write(chunk, off)).bytesWritten;
    this.written += chunk.length;
  }
}

/**
 * Reads a backup file frame by frame. `header` is read and checked by
 * `open`; `entries()` yields every entry, validated, and then checks the
 * trailer (count, checksum, nothing after it) — it throws BackupFileError on
 * the first thing wrong, so a consumer that sees the loop end normally knows
 * the whole file was intact.
 */
export class BackupFileReader {
  private readonly hash: Hash = createHash('sha256');
  private offset = 0;
  private started = false;
  private headerRead: BackupHeader | undefined;
  private trailerRead: BackupTrailer | undefined;

  private constructor(
    readonly path: string,
    private readonly reader: ByteReader,
  ) {}

  /** The header as the backup wrote it (checked by open). */
  get header(): BackupHeader {
    if (this.headerRead === undefined) throw new Error('the header is read by BackupFileReader.open');
    return this.headerRead;
  }

  /** The trailer, once entries() has run to its end (and checked it). */
  get trailer(): BackupTrailer | undefined {
    return this.trailerRead;
  }

  static async open(path: string): Promise<BackupFileReader> {
    const r = new BackupFileReader(path, new ByteReader(createReadStream(path, { highWaterMark: writeChunkBytes })));
    try {
      const preamble = await r.take(preambleBytes, 'the file header');
      if (preamble.subarray(0, backupMagic.length).toString('latin1') !== backupMagic) {
        throw new BackupFileError(`${path} is not a ringkv backup (it does not start with "${backupMagic}")`);
      }
      const version = preamble.readUInt16BE(backupMagic.length);
      if (version !== backupFormatVersion) {
        throw new BackupFileError(`${path} is a backup of format version ${version}; this ringkv reads version ${backupFormatVersion}`);
      }
      const { type, payload } = await r.frame(headerBytesMax);
      if (type !== frameType.header) throw r.broken(`expected the header frame, found type 0x${type.toString(16)}`);
      r.headerRead = parseHeader(payload, (why) => r.broken(`header: ${why}`));
      return r;
    } catch (err) {
      await r.reader.close();
      throw err;
    }
  }

  /** Each entry in file order; ends only after the trailer checked out. Read once. */
  async *entries(): AsyncGenerator<BackupEntry & { readonly bytes: Buffer }> {
    if (this.started) throw new Error('entries() can be read once per reader');
    this.started = true;
    let count = 0;
    try {
      for (;;) {
        const at = this.offset;
        const { type, payload } = await this.frame(entryBytesMax, (type) => type === frameType.trailer);
        if (type === frameType.trailer) {
          // the trailer frame itself is not hashed (frame() leaves it out)
          this.checkTrailer(payload, count, this.hash.digest('hex'), at);
          if (!(await this.reader.atEnd())) throw this.broken('bytes follow the trailer');
          return;
        }
        if (type !== frameType.entry) throw this.broken(`unknown frame type 0x${type.toString(16)} at byte ${at}`);
        let entry: BackupEntry;
        try {
          entry = decodeEntry(payload);
        } catch (err) {
          throw this.broken(`entry ${count + 1} (byte ${at}): ${err instanceof Error ? err.message : String(err)}`);
        }
        count++;
        yield { ...entry, bytes: payload };
      }
    } finally {
      await this.reader.close();
    }
  }

  /** Bytes read so far (progress). */
  get position(): number {
    return this.offset;
  }

  async close(): Promise<void> {
    await this.reader.close();
  }

  private checkTrailer(payload: Buffer, count: number, sha256: string, at: number): void {
    let t: unknown;
    try {
      t = unpackValue(payload);
    } catch {
      throw this.broken(`the trailer at byte ${at} is not msgpack`);
    }
    const trailer = t as Partial<BackupTrailer> | null;
    if (typeof trailer !== 'object' || trailer === null || typeof trailer.entries !== 'number' || typeof trailer.sha256 !== 'string') {
      throw this.broken(`the trailer at byte ${at} is malformed`);
    }
    if (trailer.entries !== count) throw this.broken(`the trailer says ${trailer.entries} entries, the file holds ${count}`);
    if (trailer.sha256 !== sha256) throw this.broken(`checksum mismatch: the trailer says ${trailer.sha256}, the content hashes to ${sha256}`);
    this.trailerRead = { entries: trailer.entries, sha256 };
  }

  private async frame(payloadBytesMax: number, unhashed: (type: number) => boolean = () => false): Promise<{ type: number; payload: Buffer }> {
    const head = await this.take(frameHeadBytes, 'a frame', false);
    const type = head[0] as number;
    const length = head.readUInt32BE(1);
    const hashed = !unhashed(type);
    if (hashed) this.hash.update(head);
    if (length > payloadBytesMax) throw this.broken(`a frame at byte ${this.offset - frameHeadBytes} declares ${length} bytes (at most ${payloadBytesMax})`);
    const payload = await this.take(length, `a frame of ${length} bytes`, hashed);
    return { type, payload };
  }

  private async take(n: number, what: string, hashed = true): Promise<Buffer> {
    const b = await this.reader.read(n);
    if (b.length < n) {
      throw this.broken(
        b.length === 0 && what === 'a frame'
          ? `truncated: the file ends at byte ${this.offset} without a trailer`
          : `truncated: the file ends inside ${what} at byte ${this.offset + b.length}`,
      );
    }
    if (hashed) this.hash.update(b);
    this.offset += n;
    return b;
  }

  broken(why: string): BackupFileError {
    return new BackupFileError(`${this.path}: not an intact ringkv backup: ${why}`);
  }
}

function parseHeader(payload: Buffer, broken: (why: string) => BackupFileError): BackupHeader {
  let h: unknown;
  try {
    h = unpackValue(payload);
  } catch {
    throw broken('not msgpack');
  }
  const o = h as Partial<BackupHeader> | null;
  const c = o?.cluster;
  const isCount = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.createdAt !== 'string' ||
    typeof o.tool !== 'string' ||
    !Array.isArray(o.nodes) ||
    typeof c !== 'object' ||
    c === null ||
    ![c.partitionCount, c.n, c.r, c.w, c.epoch].every(isCount)
  ) {
    throw broken('missing or malformed fields');
  }
  return o as BackupHeader;
}

/** Reads the whole file once and checks everything: what `ringkv restore` does before writing a single key. */
export async function verifyBackupFile(path: string, onProgress?: (bytesRead: number) => void): Promise<BackupFileSummary & { header: BackupHeader }> {
  const r = await BackupFileReader.open(path);
  let entries = 0;
  let last = 0;
  for await (const _ of r.entries()) {
    entries++;
    if (onProgress !== undefined && r.position - last >= writeChunkBytes) {
      last = r.position;
      onProgress(last);
    }
  }
  onProgress?.(r.position);
  return { header: r.header, entries, bytes: r.position, sha256: r.trailer?.sha256 ?? '' };
}
