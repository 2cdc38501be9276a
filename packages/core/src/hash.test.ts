import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertValidPartitionCount,
  isValidPartitionCount,
  keyHashTop32,
  partitionBits,
  partitionOfHash,
  partitionOfKey,
} from './hash.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const validCounts = Array.from({ length: 17 }, (_, i) => 2 ** i);

describe('keyHashTop32', () => {
  // Vectors from RFC 1321 appendix A.5: the hash must never change, or every
  // stored key would be looked up in the wrong partition after an upgrade.
  it.each([
    ['', 0xd41d8cd9],
    ['a', 0x0cc175b9],
    ['abc', 0x90015098],
    ['message digest', 0xf96b697d],
  ])('MD5(%j) starts with the RFC 1321 bytes', (key, top) => {
    expect(keyHashTop32(utf8(key))).toBe(top);
  });

  it('is an unsigned 32-bit integer that depends only on the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (key) => {
        const h = keyHashTop32(key);
        expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
        expect(keyHashTop32(Uint8Array.from(key))).toBe(h);
        expect(h).toBe(createHash('md5').update(key).digest().readUInt32BE(0));
      }),
    );
  });
});

describe('partition counts', () => {
  it('accepts exactly the powers of two from 1 to 65536', () => {
    for (const q of validCounts) expect(isValidPartitionCount(q)).toBe(true);
    for (const q of [0, -1, 3, 6, 100, 255, 257, 131072, 1.5, Number.NaN, Infinity]) {
      expect(isValidPartitionCount(q)).toBe(false);
      expect(() => assertValidPartitionCount(q)).toThrow(RangeError);
    }
  });

  it('partitionBits is log2(Q)', () => {
    validCounts.forEach((q, i) => expect(partitionBits(q)).toBe(i));
  });
});

describe('partitionOfKey', () => {
  it('takes the top bits of the hash', () => {
    expect(partitionOfKey(utf8(''), 256)).toBe(0xd4);
    expect(partitionOfKey(utf8('abc'), 256)).toBe(0x90);
    expect(partitionOfKey(utf8(''), 65536)).toBe(0xd41d);
    expect(partitionOfKey(utf8('a'), 2)).toBe(0);
    expect(partitionOfKey(utf8(''), 2)).toBe(1);
    expect(partitionOfKey(utf8('abc'), 1)).toBe(0);
  });

  it('rejects an invalid partition count', () => {
    expect(() => partitionOfKey(utf8('k'), 100)).toThrow(RangeError);
    expect(() => partitionOfHash(0, 0)).toThrow(RangeError);
  });

  it('is in range, and halving Q halves the partition (partitions are nested hash ranges)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), fc.integer({ min: 1, max: 16 }), (key, bits) => {
        const p = partitionOfKey(key, 2 ** bits);
        expect(p >= 0 && p < 2 ** bits).toBe(true);
        expect(partitionOfKey(key, 2 ** (bits - 1))).toBe(p >>> 1);
      }),
    );
  });

  it('spreads 100k keys over 256 partitions uniformly (chi-square)', () => {
    const q = 256;
    const keys = 100_000;
    const counts = new Array<number>(q).fill(0);
    for (let i = 0; i < keys; i++) {
      const p = partitionOfKey(utf8(`user:${i}`), q);
      counts[p] = (counts[p] ?? 0) + 1;
    }
    const expected = keys / q;
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 255 degrees of freedom: mean 255, standard deviation ~22.6. 400 is over six
    // deviations out, yet a hash using only a few bits (or a constant) is far above it.
    expect(chiSquare).toBeLessThan(400);
    expect(Math.min(...counts)).toBeGreaterThan(expected * 0.8);
    expect(Math.max(...counts)).toBeLessThan(expected * 1.2);
  });
});
