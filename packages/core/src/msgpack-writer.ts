/**
 * A msgpack writer for the few shapes ringkv encodes on every write (records,
 * contexts): arrays, null, numbers, strings and byte arrays.
 *
 * It writes, byte for byte, what msgpackr's `Packr({ useRecords: false,
 * moreTypes: false, structuredClone: false })` writes for the same values. That matters: a stored record's bytes are hashed
 * into the Merkle trees and compared between replicas, so nodes of every
 * version must turn one record into the same bytes (property tests pin this
 * writer to msgpackr). Why not msgpackr itself: it sends every byte array
 * through its extension lookup (six `instanceof` checks, a closure and an
 * object per value), ≈ 200 ns per sibling value, which made packing a
 * many-sibling record cost more than merging it. Decoding stays msgpackr's.
 */

/** What the writer takes: the plain data records and contexts are made of. */
export type MsgpackValue = null | number | string | Uint8Array | readonly MsgpackValue[];

const initialBytes = 8192;
// After a value larger than this the scratch buffer is dropped, not kept for the process's life.
const keptBytesMax = 1024 * 1024;

export class MsgpackWriter {
  // A Buffer (not from the shared pool) for its UTF-8 `write`; wide numbers are written through a DataView.
  #buf!: Buffer;
  #view!: DataView;
  #pos = 0;

  constructor() {
    this.#allocate(initialBytes);
  }

  /** Starts a new value; the scratch buffer is reused. */
  reset(): void {
    this.#pos = 0;
  }

  /** A copy of what was written since `reset` (the scratch buffer is reused by the next value). */
  finish(): Uint8Array {
    this.#assertInBounds();
    const out = new Uint8Array(this.#pos);
    out.set(this.#buf.subarray(0, this.#pos));
    if (this.#buf.length > keptBytesMax) this.#allocate(initialBytes);
    return out;
  }

  /** What was written since `reset`, as text in `encoding` (no copy of the bytes first). */
  finishAs(encoding: 'base64url'): string {
    this.#assertInBounds();
    const text = this.#buf.toString(encoding, 0, this.#pos);
    if (this.#buf.length > keptBytesMax) this.#allocate(initialBytes);
    return text;
  }

  /** Any value of the shapes above, arrays walked depth first. */
  value(v: MsgpackValue): void {
    if (v === null) this.nil();
    else if (typeof v === 'number') this.number(v);
    else if (typeof v === 'string') this.string(v);
    else if (v instanceof Uint8Array) this.bytes(v);
    else {
      this.arrayHeader(v.length);
      for (const x of v) this.value(x);
    }
  }

  arrayHeader(length: number): void {
    this.#room(5);
    if (length < 0x10) this.#buf[this.#pos++] = 0x90 | length;
    else if (length < 0x10000) this.#tagU16(0xdc, length);
    else this.#tagU32(0xdd, length);
  }

  nil(): void {
    this.#room(1);
    this.#buf[this.#pos++] = 0xc0;
  }

  /**
   * As msgpackr: integers that fit 32 bits in their smallest form (positive
   * ones up to 0x7f as fixints, -0 as 0); everything else, larger safe
   * integers included, as float64.
   */
  number(value: number): void {
    this.#room(9);
    if (value >>> 0 === value) {
      if (value < 0x80) this.#buf[this.#pos++] = value;
      else if (value < 0x100) this.#tagU8(0xcc, value);
      else if (value < 0x10000) this.#tagU16(0xcd, value);
      else this.#tagU32(0xce, value);
    } else if (value >> 0 === value) {
      // Two's complement, so the unsigned writers store the signed bytes.
      if (value >= -0x20) this.#buf[this.#pos++] = 0x100 + value;
      else if (value >= -0x80) this.#tagU8(0xd0, value + 0x100);
      else if (value >= -0x8000) this.#tagU16(0xd1, value + 0x10000);
      else this.#tagU32(0xd2, value >>> 0);
    } else {
      this.#buf[this.#pos++] = 0xcb;
      this.#view.setFloat64(this.#pos, value);
      this.#pos += 8;
    }
  }

  /**
   * UTF-8 with the smallest header for its byte length. Like msgpackr, a
   * string under 64 chars is encoded by hand (a lone surrogate becomes its own
   * three bytes) and a longer one by Buffer (a lone surrogate becomes U+FFFD).
   */
  string(value: string): void {
    const chars = value.length;
    const headerSize = chars < 0x20 ? 1 : chars < 0x100 ? 2 : chars < 0x10000 ? 3 : 5;
    // Room for the largest header, not the one sized by chars: the bytes may move to a larger one below.
    this.#room(5 + chars * 3);
    const start = this.#pos + headerSize;
    const length = chars < 0x40 ? this.#utf8ByHand(value, start) : this.#buf.write(value, start, 'utf8');
    // The header was sized by chars; move the bytes when their length needs a larger one.
    const needed = length < 0x20 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
    if (needed > headerSize) this.#buf.copyWithin(this.#pos + needed, start, start + length);
    if (length < 0x20) this.#buf[this.#pos++] = 0xa0 | length;
    else if (length < 0x100) this.#tagU8(0xd9, length);
    else if (length < 0x10000) this.#tagU16(0xda, length);
    else this.#tagU32(0xdb, length);
    this.#pos += length;
  }

  /** msgpack bin 8/16/32. */
  bytes(value: Uint8Array): void {
    const length = value.byteLength;
    this.#room(length + 5);
    if (length < 0x100) this.#tagU8(0xc4, length);
    else if (length < 0x10000) this.#tagU16(0xc5, length);
    else this.#tagU32(0xc6, length);
    this.#buf.set(value, this.#pos);
    this.#pos += length;
  }

  /** msgpackr's own encoder for short strings; returns the bytes written at `at`. */
  #utf8ByHand(value: string, at: number): number {
    const b = this.#buf;
    let p = at;
    for (let i = 0; i < value.length; i++) {
      let c1 = value.charCodeAt(i);
      let c2: number;
      if (c1 < 0x80) {
        b[p++] = c1;
      } else if (c1 < 0x800) {
        b[p++] = (c1 >> 6) | 0xc0;
        b[p++] = (c1 & 0x3f) | 0x80;
      } else if ((c1 & 0xfc00) === 0xd800 && ((c2 = value.charCodeAt(i + 1)) & 0xfc00) === 0xdc00) {
        c1 = 0x10000 + ((c1 & 0x03ff) << 10) + (c2 & 0x03ff);
        i++;
        b[p++] = (c1 >> 18) | 0xf0;
        b[p++] = ((c1 >> 12) & 0x3f) | 0x80;
        b[p++] = ((c1 >> 6) & 0x3f) | 0x80;
        b[p++] = (c1 & 0x3f) | 0x80;
      } else {
        b[p++] = (c1 >> 12) | 0xe0;
        b[p++] = ((c1 >> 6) & 0x3f) | 0x80;
        b[p++] = (c1 & 0x3f) | 0x80;
      }
    }
    return p - at;
  }

  #tagU8(tag: number, value: number): void {
    this.#buf[this.#pos++] = tag;
    this.#buf[this.#pos++] = value;
  }

  #tagU16(tag: number, value: number): void {
    this.#buf[this.#pos++] = tag;
    this.#view.setUint16(this.#pos, value);
    this.#pos += 2;
  }

  #tagU32(tag: number, value: number): void {
    this.#buf[this.#pos++] = tag;
    this.#view.setUint32(this.#pos, value);
    this.#pos += 4;
  }

  /** A sizing mistake must fail loudly, never hand out bytes cut short (stored records are hashed and compared). */
  #assertInBounds(): void {
    if (this.#pos > this.#buf.length) throw new Error(`MsgpackWriter: wrote ${this.#pos} bytes into ${this.#buf.length}`);
  }

  #room(bytes: number): void {
    const needed = this.#pos + bytes;
    if (needed <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < needed) size *= 2;
    const written = this.#buf.subarray(0, this.#pos);
    this.#allocate(size);
    this.#buf.set(written);
  }

  #allocate(size: number): void {
    this.#buf = Buffer.alloc(size);
    this.#view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
  }
}
