/**
 * Exact-length reads over a stream of chunks (a file, an HTTP body), holding
 * only the bytes not yet taken: backup files and partition streams are read
 * frame by frame in constant memory.
 */
export class ByteReader {
  private readonly chunks: Buffer[] = [];
  private available = 0;
  private ended = false;
  private readonly source: AsyncIterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes, or fewer when the source ended first (the caller reports the truncation). */
  async read(n: number): Promise<Buffer> {
    while (this.available < n && !this.ended) await this.pull();
    const take = Math.min(n, this.available);
    const first = this.chunks[0];
    if (first !== undefined && first.length >= take) {
      // the common case: no copy
      this.consume(take);
      return first.subarray(0, take);
    }
    const out = Buffer.allocUnsafe(take);
    let filled = 0;
    while (filled < take) {
      const c = this.chunks[0] as Buffer;
      const k = Math.min(c.length, take - filled);
      c.copy(out, filled, 0, k);
      filled += k;
      this.consume(k);
    }
    return out;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    while (this.available === 0 && !this.ended) await this.pull();
    return this.available === 0;
  }

  /** Stops reading the source early (closes the file or the HTTP body). */
  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      await this.source.return?.();
    }
  }

  private async pull(): Promise<void> {
    const r = await this.source.next();
    if (r.done === true) {
      this.ended = true;
      return;
    }
    const v = r.value;
    const b = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    if (b.length === 0) return;
    this.chunks.push(b);
    this.available += b.length;
  }

  private consume(k: number): void {
    const first = this.chunks[0] as Buffer;
    if (k === first.length) this.chunks.shift();
    else this.chunks[0] = first.subarray(k);
    this.available -= k;
  }
}
