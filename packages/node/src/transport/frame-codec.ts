/**
 * Framing for the inter-node RPC stream: each frame is a 4-byte big-endian
 * payload length followed by a msgpack payload.
 *
 * Why a length prefix rather than msgpackr's stream classes: an unprefixed
 * msgpack stream only learns a value's size while parsing it, so a hostile or
 * broken peer can make the reader buffer without bound (a str32/bin32 header
 * announcing 4 GiB, or a value that never ends). With the prefix the size is
 * known, and checked against `frameBytesMax`, before a single payload byte is
 * buffered.
 */
import { C1, Packr, Unpackr } from 'msgpackr';
import { errorMessage } from './error-message.js';

export const frameHeaderBytes = 4;

/** Default bound on one frame's payload (excluding the 4-byte header). */
export const frameBytesMaxDefault = 64 * 1024 * 1024;

/** The largest length the 4-byte header can express. */
const frameBytesMaxLimit = 0xffff_ffff;

export type FrameErrorCode = 'FRAME_TOO_LARGE' | 'FRAME_UNDECODABLE' | 'FRAME_UNENCODABLE';

export class FrameError extends Error {
  constructor(
    readonly code: FrameErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

function checkFrameBytesMax(frameBytesMax: number): void {
  if (!Number.isSafeInteger(frameBytesMax) || frameBytesMax < 1 || frameBytesMax > frameBytesMaxLimit) {
    throw new RangeError(`frameBytesMax must be an integer in [1, ${frameBytesMaxLimit}], got ${frameBytesMax}`);
  }
}

// Records (msgpackr's extension for repeated object shapes) are off on both
// sides so that any msgpack implementation can read our frames and so that one
// message can never change how a later one decodes.
const codecOptions = { useRecords: false, mapsAsObjects: true } as const;

export class FrameEncoder {
  private readonly packr = new Packr(codecOptions);

  constructor(private readonly frameBytesMax: number = frameBytesMaxDefault) {
    checkFrameBytesMax(frameBytesMax);
  }

  /** One complete frame (header + payload), ready to write. */
  encode(message: unknown): Buffer {
    let payload: Buffer;
    try {
      payload = this.packr.pack(message);
    } catch (error) {
      throw new FrameError('FRAME_UNENCODABLE', `cannot encode message: ${errorMessage(error)}`);
    }
    if (payload.length > this.frameBytesMax) {
      throw new FrameError(
        'FRAME_TOO_LARGE',
        `frame payload of ${payload.length} bytes exceeds frameBytesMax ${this.frameBytesMax}`,
      );
    }
    // One buffer per frame so a corked socket hands the kernel one iovec per
    // frame; the copy is cheap next to a syscall. (Packr's result also
    // aliases its internal scratch buffer, so it must not be kept anyway.)
    const frame = Buffer.allocUnsafe(frameHeaderBytes + payload.length);
    frame.writeUInt32BE(payload.length, 0);
    payload.copy(frame, frameHeaderBytes);
    return frame;
  }
}

/**
 * Turns socket chunks back into messages. Chunks are kept in a list and each
 * byte is copied at most once (only when a frame straddles chunks), so a
 * large frame arriving in many small chunks costs linear, not quadratic, time.
 *
 * After a `FrameError` the stream is out of sync for good: the decoder stays
 * failed and every later `feed` throws again.
 */
export class FrameDecoder {
  // copyBuffers: binary values in a message must not alias the frame, or a
  // 100-byte value kept by the store would pin a whole 64 KiB socket chunk.
  private readonly unpackr = new Unpackr({ ...codecOptions, copyBuffers: true });
  private readonly chunks: Buffer[] = [];
  /** Bytes of `chunks[0]` already consumed. */
  private headOffset = 0;
  /** Unconsumed bytes across all chunks. */
  private bufferedBytes = 0;
  private failure: FrameError | undefined;

  constructor(private frameBytesMax: number = frameBytesMaxDefault) {
    checkFrameBytesMax(frameBytesMax);
  }

  /**
   * Changes the bound for the frames still to come: a connection starts with
   * the small handshake bound and raises it once the peer has authenticated.
   * Takes effect from the next frame, even inside a running `feed`.
   */
  setFrameBytesMax(frameBytesMax: number): void {
    checkFrameBytesMax(frameBytesMax);
    this.frameBytesMax = frameBytesMax;
  }

  /** Bytes received but not yet part of a complete frame. */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  /**
   * Adds a chunk and yields every message now complete. State is advanced
   * before each yield, so a consumer that stops early loses nothing: the
   * remaining frames come out of the next `feed`.
   */
  *feed(chunk: Uint8Array): Generator<unknown, void, undefined> {
    if (this.failure) throw this.failure;
    if (chunk.length > 0) {
      this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.bufferedBytes += chunk.length;
    }
    for (;;) {
      if (this.bufferedBytes < frameHeaderBytes) return;
      const payloadBytes = this.peekHeader();
      // Checked before waiting for (or allocating) the payload: a hostile
      // header must not make us buffer gigabytes.
      if (payloadBytes > this.frameBytesMax) {
        throw this.fail(
          new FrameError(
            'FRAME_TOO_LARGE',
            `declared frame payload of ${payloadBytes} bytes exceeds frameBytesMax ${this.frameBytesMax}`,
          ),
        );
      }
      if (payloadBytes === 0) {
        throw this.fail(new FrameError('FRAME_UNDECODABLE', 'empty frame payload'));
      }
      if (this.bufferedBytes < frameHeaderBytes + payloadBytes) return;
      this.consume(frameHeaderBytes);
      const payload = this.take(payloadBytes);
      let message: unknown;
      try {
        message = this.unpackr.unpack(payload);
      } catch (error) {
        throw this.fail(new FrameError('FRAME_UNDECODABLE', `undecodable frame payload: ${errorMessage(error)}`));
      }
      // msgpackr decodes the reserved byte 0xc1 to a sentinel instead of failing.
      if (message === C1) throw this.fail(new FrameError('FRAME_UNDECODABLE', 'frame payload is the reserved byte 0xc1'));
      yield message;
    }
  }

  private fail(error: FrameError): FrameError {
    this.failure = error;
    // Drop the buffered bytes: they will never be read.
    this.chunks.length = 0;
    this.bufferedBytes = 0;
    this.headOffset = 0;
    return error;
  }

  /** The big-endian length in the next 4 bytes, which may straddle chunks. */
  private peekHeader(): number {
    let value = 0;
    let chunkIndex = 0;
    let offset = this.headOffset;
    for (let i = 0; i < frameHeaderBytes; i++) {
      let chunk = this.chunks[chunkIndex];
      while (chunk !== undefined && offset >= chunk.length) {
        chunkIndex++;
        offset = 0;
        chunk = this.chunks[chunkIndex];
      }
      if (chunk === undefined) throw new Error('invariant: peekHeader needs 4 buffered bytes');
      value = value * 256 + (chunk[offset] ?? 0);
      offset++;
    }
    return value;
  }

  /** Removes `byteCount` bytes from the front and returns them contiguous. */
  private take(byteCount: number): Buffer {
    const head = this.chunks[0];
    if (head !== undefined && head.length - this.headOffset >= byteCount) {
      const slice = head.subarray(this.headOffset, this.headOffset + byteCount);
      this.consume(byteCount);
      return slice;
    }
    const out = Buffer.allocUnsafe(byteCount);
    let written = 0;
    let chunkIndex = 0;
    let offset = this.headOffset;
    while (written < byteCount) {
      const chunk = this.chunks[chunkIndex];
      if (chunk === undefined) throw new Error('invariant: take beyond buffered bytes');
      const n = Math.min(chunk.length - offset, byteCount - written);
      chunk.copy(out, written, offset, offset + n);
      written += n;
      chunkIndex++;
      offset = 0;
    }
    this.consume(byteCount);
    return out;
  }

  /** Advances past `byteCount` bytes, dropping fully consumed chunks at once. */
  private consume(byteCount: number): void {
    if (byteCount > this.bufferedBytes) throw new Error('invariant: consume beyond buffered bytes');
    this.bufferedBytes -= byteCount;
    let remaining = byteCount;
    let dropCount = 0;
    let offset = this.headOffset;
    for (;;) {
      const chunk = this.chunks[dropCount];
      if (chunk === undefined) break;
      const available = chunk.length - offset;
      if (remaining < available) break;
      remaining -= available;
      dropCount++;
      offset = 0;
    }
    // One splice per frame rather than a shift per chunk.
    if (dropCount > 0) this.chunks.splice(0, dropCount);
    this.headOffset = offset + remaining;
  }
}
