import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameEncoder, FrameError, frameHeaderBytes } from './frame-codec.js';

const messages: readonly unknown[] = [
  { t: 'req', id: 1, op: 'get', body: { key: new Uint8Array([0, 1, 2, 255]) } },
  { t: 'res', id: 1, ok: true, body: [1, 'two', null, { nested: [true, false] }] },
  'a string',
  12345.5,
  { t: 'res', id: 4294967295, ok: false, code: 'X', message: '' },
];

function encodeAll(values: readonly unknown[], encoder = new FrameEncoder()): Buffer {
  return Buffer.concat(values.map((value) => encoder.encode(value)));
}

/** Decoded binary values are Buffers; compare them as plain Uint8Arrays. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, plain(field)]));
  }
  return value;
}

function feedAll(decoder: FrameDecoder, chunks: readonly Uint8Array[]): unknown[] {
  const out: unknown[] = [];
  for (const chunk of chunks) for (const message of decoder.feed(chunk)) out.push(plain(message));
  return out;
}

function frameError(fn: () => void): FrameError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FrameError) return error;
    throw error;
  }
  throw new Error('expected a FrameError');
}

function header(payloadBytes: number): Buffer {
  const buffer = Buffer.alloc(frameHeaderBytes);
  buffer.writeUInt32BE(payloadBytes, 0);
  return buffer;
}

describe('FrameEncoder / FrameDecoder', () => {
  it('round-trips messages, binary values as bytes', () => {
    const decoded = feedAll(new FrameDecoder(), [encodeAll(messages)]);
    expect(decoded).toEqual(messages);
    const body = (decoded[0] as { body: { key: unknown } }).body.key;
    expect(body).toBeInstanceOf(Uint8Array);
    expect([...(body as Uint8Array)]).toEqual([0, 1, 2, 255]);
  });

  it('writes a 4-byte big-endian payload length', () => {
    const frame = new FrameEncoder().encode('hi');
    expect(frame.readUInt32BE(0)).toBe(frame.length - frameHeaderBytes);
  });

  it('decodes the same messages wherever the stream is split in two', () => {
    const stream = encodeAll(messages);
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoded = feedAll(new FrameDecoder(), [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(decoded, `split at byte ${cut}`).toEqual(messages);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const stream = encodeAll(messages);
    const chunks = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
    expect(feedAll(new FrameDecoder(), chunks)).toEqual(messages);
  });

  it('decodes many frames from one chunk', () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ t: 'req', id: i, op: 'op', body: i }));
    expect(feedAll(new FrameDecoder(), [encodeAll(many)])).toEqual(many);
  });

  it('decodes a large frame arriving in small chunks', () => {
    const big = { bytes: new Uint8Array(1_000_000).map((_, i) => i % 251) };
    const stream = new FrameEncoder().encode(big);
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 1000) chunks.push(stream.subarray(i, i + 1000));
    const decoder = new FrameDecoder();
    const decoded = feedAll(decoder, chunks);
    expect(decoded).toHaveLength(1);
    // Buffer.equals: a deep toEqual over a million elements takes seconds.
    expect(Buffer.from((decoded[0] as typeof big).bytes).equals(big.bytes)).toBe(true);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('keeps undelivered frames when the consumer stops iterating early', () => {
    const decoder = new FrameDecoder();
    const iterator = decoder.feed(encodeAll(['a', 'b', 'c']));
    expect(iterator.next().value).toBe('a');
    iterator.return();
    expect(feedAll(decoder, [new Uint8Array(0)])).toEqual(['b', 'c']);
  });

  it('accepts a Uint8Array that is not a Buffer', () => {
    const frame = new FrameEncoder().encode({ x: 1 });
    const plain = new Uint8Array(frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.length));
    expect(feedAll(new FrameDecoder(), [plain])).toEqual([{ x: 1 }]);
  });

  it('rejects a declared length over frameBytesMax from the header alone', () => {
    const decoder = new FrameDecoder(1024);
    expect(feedAll(decoder, [header(1024), Buffer.alloc(1024, 0xc0).subarray(0, 10)])).toEqual([]);
    const fresh = new FrameDecoder(1024);
    const error = frameError(() => feedAll(fresh, [header(1025)]));
    expect(error.code).toBe('FRAME_TOO_LARGE');
    expect(fresh.pendingBytes).toBe(0);
  });

  it('rejects the largest expressible length with the default limit, without waiting for the payload', () => {
    const error = frameError(() => feedAll(new FrameDecoder(), [header(0xffff_ffff)]));
    expect(error.code).toBe('FRAME_TOO_LARGE');
  });

  it('rejects an encoded message over frameBytesMax', () => {
    const encoder = new FrameEncoder(16);
    expect(encoder.encode('x'.repeat(10)).length).toBeGreaterThan(0);
    expect(frameError(() => encoder.encode('x'.repeat(100))).code).toBe('FRAME_TOO_LARGE');
  });

  it('rejects undecodable payloads', () => {
    const cases: Record<string, Buffer> = {
      'reserved byte 0xc1': Buffer.from([0xc1]),
      'truncated string': Buffer.from([0xa5, 0x61]),
      'trailing bytes': Buffer.from([0x01, 0x02]),
      'unknown extension': Buffer.from([0xd4, 0x55, 0x00]),
    };
    for (const [name, payload] of Object.entries(cases)) {
      const error = frameError(() => feedAll(new FrameDecoder(), [header(payload.length), payload]));
      expect(error.code, name).toBe('FRAME_UNDECODABLE');
    }
  });

  it('rejects an empty payload', () => {
    expect(frameError(() => feedAll(new FrameDecoder(), [header(0)])).code).toBe('FRAME_UNDECODABLE');
  });

  it('stays failed after an error', () => {
    const decoder = new FrameDecoder();
    frameError(() => feedAll(decoder, [header(1), Buffer.from([0xc1])]));
    const again = frameError(() => feedAll(decoder, [new FrameEncoder().encode('fine')]));
    expect(again.code).toBe('FRAME_UNDECODABLE');
  });

  it('yields the good frames before a bad one', () => {
    const decoder = new FrameDecoder();
    const stream = Buffer.concat([encodeAll(['a', 'b']), header(1), Buffer.from([0xc1])]);
    const seen: unknown[] = [];
    frameError(() => {
      for (const message of decoder.feed(stream)) seen.push(message);
    });
    expect(seen).toEqual(['a', 'b']);
  });

  it('never throws anything but FrameError on random bytes', () => {
    let seed = 42;
    const nextByte = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed & 0xff;
    };
    for (let run = 0; run < 500; run++) {
      const length = 1 + (nextByte() % 64);
      const payload = Buffer.from(Array.from({ length }, nextByte));
      const decoder = new FrameDecoder(1024);
      try {
        feedAll(decoder, [header(payload.length), payload]);
      } catch (error) {
        expect(error).toBeInstanceOf(FrameError);
      }
    }
  });

  it('refuses a nonsensical frameBytesMax', () => {
    expect(() => new FrameDecoder(0)).toThrow(RangeError);
    expect(() => new FrameEncoder(2 ** 32)).toThrow(RangeError);
  });
});
