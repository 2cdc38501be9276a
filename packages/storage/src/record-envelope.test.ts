import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seal, unseal, unsealMeta } from './record-envelope.js';

// Payloads as core encodes records and hints: a msgpack array first (fixarray 0x90-0x9F).
const payload = fc.tuple(fc.integer({ min: 0x90, max: 0x9f }), fc.uint8Array({ maxLength: 300 })).map(([first, rest]) => Uint8Array.of(first, ...rest));

describe('stored record checksums', () => {
  it('a sealed payload unseals to itself', () => {
    fc.assert(
      fc.property(payload, (p) => {
        expect(unseal(seal(p))).toEqual(p);
      }),
    );
  });

  it('any single flipped bit, marker and checksum included, is caught', () => {
    fc.assert(
      fc.property(payload, fc.nat(), (p, at) => {
        const stored = seal(p);
        const bit = at % (stored.length * 8);
        stored[bit >> 3] = (stored[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(unseal(stored)).toBeUndefined();
      }),
    );
  });

  it('any burst of up to 32 changed bits in the payload is caught', () => {
    fc.assert(
      fc.property(payload.filter((p) => p.length >= 4), fc.nat(), fc.integer({ min: 1, max: 0xffffffff }), (p, at, pattern) => {
        const stored = seal(p);
        const start = 5 + (at % (p.length - 3));
        for (let i = 0; i < 4; i++) stored[start + i] = (stored[start + i] as number) ^ ((pattern >>> (8 * i)) & 0xff);
        expect(unseal(stored)).toBeUndefined();
      }),
    );
  });

  it('records written before checksums are read as they are; anything else unsealed is refused', () => {
    const legacy = Uint8Array.of(0x92, 0x01, 0x90);
    expect(unseal(legacy)).toBe(legacy);
    expect(unseal(new Uint8Array(0))).toBeUndefined();
    expect(unseal(Uint8Array.of(0xc1, 0, 0))).toBeUndefined();
    expect(unseal(Uint8Array.of(0x00, 0x92))).toBeUndefined();
  });

  it('metadata: sealed values unseal to themselves, any flipped bit past the marker is caught, unsealed values read as they are', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (p, at) => {
        const stored = seal(p);
        expect(unsealMeta(stored)).toEqual(p);
        const bit = 8 + (at % ((stored.length - 1) * 8));
        stored[bit >> 3] = (stored[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(unsealMeta(stored)).toBeUndefined();
      }),
    );
    const legacyJson = new TextEncoder().encode('{"format":1}');
    expect(unsealMeta(legacyJson)).toBe(legacyJson);
    expect(unsealMeta(Uint8Array.of(1))).toEqual(Uint8Array.of(1));
  });
});
