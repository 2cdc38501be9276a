import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Packr, pack } from 'msgpackr';
import type { Dot, Dots } from './dots.js';
import { dotsAdd, dotsEqual, dotsFromVersionVector, dotsRemove, dotsToWire, emptyDots } from './dots.js';
import { ContextFormatError, decodeContext, encodeContext } from './context-codec.js';
import { RingkvError } from './errors.js';

const actorArb = fc.oneof(fc.constantFrom('n1#1', 'n2#7', '__proto__'), fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }));
const dotArbOf = (actors: fc.Arbitrary<string>): fc.Arbitrary<Dot> =>
  fc.record({
    actor: actors,
    counter: fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
  });
const dotsArbOf = (actors: fc.Arbitrary<string>): fc.Arbitrary<Dots> =>
  fc
    .tuple(fc.array(dotArbOf(actors), { maxLength: 12 }), fc.array(dotArbOf(actors), { maxLength: 4 }))
    .map(([adds, removes]) => dotsRemove(adds.reduce(dotsAdd, emptyDots()), removes));
const dotsArb = dotsArbOf(actorArb);
// Any actor (1..256 UTF-16 units, lone surrogates included), at lengths around the msgpack header bounds
// and msgpackr's 64-char switch between its UTF-8 encoders.
const anyActorArb = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 60, max: 90 }), fc.integer({ min: 250, max: 256 })).chain((n) =>
  fc.string({ minLength: n, maxLength: n, unit: fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), fc.constantFrom('a', '€', '\ud800')) }),
);

const asHeader = (value: unknown): string => Buffer.from(pack(value)).toString('base64url');

/** Decoding may succeed on lucky input; otherwise only ContextFormatError is allowed. */
function decodesSafely(s: string): void {
  try {
    decodeContext(s);
  } catch (e) {
    expect(e).toBeInstanceOf(ContextFormatError);
  }
}

describe('context codec', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(dotsArb, (d) => {
        const s = encodeContext(d);
        expect(s).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(dotsEqual(decodeContext(s), d)).toBe(true);
        expect(decodeContext(s)).toEqual(d);
      }),
    );
  });

  it('writes the bytes msgpackr packs for [1, dotsToWire(d)] (contexts from older nodes stay valid and equal)', () => {
    const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false });
    fc.assert(
      fc.property(fc.oneof(dotsArb, dotsArbOf(anyActorArb)), (d) => {
        expect(encodeContext(d)).toBe(Buffer.from(packr.pack([1, dotsToWire(d)])).toString('base64url'));
      }),
    );
  });

  it('encodes the empty context as a non-empty string', () => {
    const s = encodeContext(emptyDots());
    expect(s.length).toBeGreaterThan(0);
    expect(dotsEqual(decodeContext(s), emptyDots())).toBe(true);
  });

  it('reports the catalogue code CONTEXT_INVALID', () => {
    try {
      decodeContext('');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RingkvError);
      expect((e as RingkvError).code).toBe('CONTEXT_INVALID');
      expect((e as RingkvError).status).toBe(400);
    }
  });

  it('rejects the empty string', () => {
    expect(() => decodeContext('')).toThrow(ContextFormatError);
    expect(() => decodeContext('')).toThrow(/empty/);
  });

  it('rejects malformed base64url', () => {
    const good = encodeContext(dotsFromVersionVector({ a: 3 }));
    for (const s of [`${good}=`, good.replace(/./, '+'), `${good} `, `${good}/`, 'A', '!!!!']) {
      expect(() => decodeContext(s), s).toThrow(ContextFormatError);
    }
    // "kw" is [..] in canonical form; "kx" carries stray low bits Node would ignore
    expect(() => decodeContext('kx')).toThrow(/canonical/);
  });

  it('rejects bad msgpack and wrong shapes, with a reason', () => {
    const cases: [string, RegExp][] = [
      [Buffer.from([0xc1]).toString('base64url'), /expected \[version, dots\]/],
      [Buffer.from([0x92, 0x01]).toString('base64url'), /bad msgpack/],
      [asHeader({ a: 1 }), /expected \[version, dots\]/],
      [asHeader([2, []]), /version 2/],
      [asHeader([1, {}]), /dots/],
      [asHeader([1, [['a', 0]]]), /max/],
      [asHeader([1, [['b', 1], ['a', 1]]]), /sorted/],
      [asHeader([1, [['a', 1], ['a', 2]]]), /sorted and unique/],
      [asHeader([1, [['a', 5, [5, 5]]]]), /reaches max/],
      [asHeader([1, [['a', 9, [1, 2, 3, 4]]]]), /touches/],
      [asHeader([1, [['a', 9, []]]]), /non-empty/],
      [asHeader([1, [['a', 2 ** 53]]]), /safe integer/],
      [asHeader([1, [['', 1]]]), /actor/],
      [asHeader([1, [['a', 1]], 'extra']), /expected \[version, dots\]/],
    ];
    for (const [s, reason] of cases) {
      expect(() => decodeContext(s), s).toThrow(ContextFormatError);
      expect(() => decodeContext(s), s).toThrow(reason);
    }
  });

  it('throws only ContextFormatError on random input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 64 }), decodesSafely));
    fc.assert(fc.property(fc.base64String({ maxLength: 64 }), (s) => decodesSafely(s.replace(/=+$/, ''))));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => decodesSafely(Buffer.from(b).toString('base64url'))));
    fc.assert(fc.property(fc.anything(), (x) => decodesSafely(asHeader([1, x]))));
  });

  it('enforces limits', () => {
    const many = dotsFromVersionVector(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`n${i}`, 1])));
    const s = encodeContext(many);
    expect(() => decodeContext(s, { maxActors: 19 })).toThrow(/more than 19 actors/);
    expect(dotsEqual(decodeContext(s, { maxActors: 20 }), many)).toBe(true);
    expect(() => decodeContext(s, { maxBytes: s.length - 1 })).toThrow(/longer than/);
    expect(() => decodeContext('A'.repeat(8193))).toThrow(/longer than 8192/);

    let gappy = dotsFromVersionVector({ a: 100 });
    gappy = dotsRemove(gappy, [2, 4, 6, 8, 10].map((counter) => ({ actor: 'a', counter })));
    const g = encodeContext(gappy);
    expect(() => decodeContext(g, { maxGaps: 4 })).toThrow(/more than 4 gaps/);
    expect(dotsEqual(decodeContext(g, { maxGaps: 5 }), gappy)).toBe(true);

    // default actor limit
    const crowd = dotsFromVersionVector(Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`${i}`, 1])));
    expect(() => decodeContext(encodeContext(crowd), { maxBytes: 1e6 })).toThrow(/more than 1024 actors/);
  });
});
