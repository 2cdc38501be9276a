import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { MsgpackWriter, type MsgpackValue } from './msgpack-writer.js';

// The options every ringkv codec packs with: the writer must match them byte for byte.
const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false });

type Value = MsgpackValue;

/** Equal bytes, else a failure showing where they part (deep equality of 64 KB arrays is slow). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  if (Buffer.from(actual).equals(expected)) return;
  let at = 0;
  while (at < actual.length && actual[at] === expected[at]) at++;
  const hex = (b: Uint8Array): string => Buffer.from(b.subarray(Math.max(0, at - 8), at + 16)).toString('hex');
  expect(`length ${actual.length}, from byte ${at}: ${hex(actual)}`).toBe(`length ${expected.length}, from byte ${at}: ${hex(expected)}`);
}

function encode(w: MsgpackWriter, v: Value): Uint8Array {
  w.reset();
  w.value(v);
  return w.finish();
}

const numberArb = fc.oneof(
  fc.integer({ min: -0x90, max: 0x110 }),
  fc.integer({ min: -0x8010, max: 0x10010 }),
  fc.integer(),
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.maxSafeInteger(),
  fc.double(),
  fc.constantFrom(0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 2 ** 32, -0x21, -0x81, -0x8001, -(2 ** 31), -0, NaN, Infinity),
);
/** Strings of exactly n units (fast-check's default size would keep them short). */
const stringOf = (lengths: fc.Arbitrary<number>, unit: fc.Arbitrary<string> | 'binary'): fc.Arbitrary<string> =>
  lengths.chain((n) => fc.string({ minLength: n, maxLength: n, unit }));
// Every kind of UTF-16 unit, lone surrogates included.
const anyUnit = fc.oneof(fc.constantFrom('a', 'é', '€', '😀', '\ud800', '\udc00'), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }));
// Lengths around the header bounds (31/32 and 255/256 chars, byte lengths crossing them) and msgpackr's
// switch from its own UTF-8 encoder to Buffer's at 64 chars (they differ on lone surrogates).
const stringArb = fc.oneof(
  stringOf(fc.integer({ min: 0, max: 40 }), anyUnit),
  stringOf(fc.integer({ min: 60, max: 70 }), anyUnit),
  stringOf(fc.integer({ min: 80, max: 90 }), anyUnit),
  stringOf(fc.integer({ min: 250, max: 260 }), fc.constantFrom('a', 'é', '€', '\ud800')),
  // long strings whose byte length crosses 0xffff while their char count does not
  fc.tuple(fc.integer({ min: 21_000, max: 23_000 }), fc.constantFrom('€', 'a'), fc.string({ maxLength: 3, unit: 'binary' })).map(([n, c, tail]) => c.repeat(n) + tail),
);
const bytesArb = fc.oneof(fc.uint8Array({ maxLength: 300, size: 'max' }), fc.integer({ min: 0xff, max: 0x10001 }).map((n) => new Uint8Array(n).fill(7)));
const valueArb: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    numberArb,
    stringArb,
    bytesArb,
    fc.array(tie('value'), { maxLength: 20, size: 'max' }),
  ),
})).value;

describe('msgpack writer', () => {
  it('writes exactly the bytes msgpackr packs for the same value', () => {
    const w = new MsgpackWriter();
    fc.assert(
      fc.property(valueArb, (v) => {
        expectSameBytes(encode(w, v), packr.pack(v));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same bytes as text', () => {
    const w = new MsgpackWriter();
    fc.assert(
      fc.property(valueArb, (v) => {
        w.reset();
        w.value(v);
        expect(w.finishAs('base64url')).toBe(Buffer.from(packr.pack(v)).toString('base64url'));
      }),
      { numRuns: 50 },
    );
  });

  it('writes 16- and 32-bit array headers as msgpackr does', () => {
    const w = new MsgpackWriter();
    for (const n of [15, 16, 0xffff, 0x10000]) {
      const v = new Array<number>(n).fill(1);
      expectSameBytes(encode(w, v), packr.pack(v));
    }
  });

  it('grows past its scratch buffer and gives each value its own plain copy', () => {
    const w = new MsgpackWriter();
    const big = new Uint8Array(3 * 1024 * 1024).fill(9);
    const first = encode(w, [big, 'x']);
    const second = encode(w, ['y']);
    const [bytes, x] = packr.unpack(first) as [Uint8Array, string];
    expect(Buffer.from(bytes).equals(big)).toBe(true);
    expect(x).toBe('x');
    expect(packr.unpack(second)).toEqual(['y']);
    expect(first.buffer).not.toBe(second.buffer);
    expect(first.constructor).toBe(Uint8Array);
  });

  it('writes a string that ends at the end of its scratch buffer whole, whatever header its bytes need', () => {
    // A fresh writer each time (8 KiB scratch), a byte array placing the string so that its reserved room ends
    // just before the end of the buffer: a string whose bytes need a larger header than its chars is moved.
    for (const [unit, n] of [['€', 11], ['€', 31], ['\ud800', 31], ['€', 86], ['€', 255], ['€', 21_846], ['a', 40]] as const) {
      const text = unit.repeat(n);
      for (const end of [8192, 16_384]) {
        for (let slack = -6; slack <= 6; slack++) {
          const prefix = Math.max(0, end - slack - 5 - n * 3 - 3);
          const v: Value = [new Uint8Array(prefix), text];
          expectSameBytes(encode(new MsgpackWriter(), v), packr.pack(v));
        }
      }
    }
  });
});
