import { describe, expect, it } from 'vitest';
import { compareBytes } from './bytes.js';
import { dataKey, dataRange, keySpace, metaKey, parseDataKey, partitionRange } from './keys.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const inRange = (k: Uint8Array, r: { gte: Uint8Array; lt: Uint8Array }) =>
  compareBytes(k, r.gte) >= 0 && compareBytes(k, r.lt) < 0;

describe('data keys', () => {
  it('round-trip partition and key', () => {
    for (const partition of [0, 1, 255, 256, 0x1234, 0xffff]) {
      for (const key of [new Uint8Array(), utf8('user:42'), utf8('ключ ✓'), Uint8Array.of(0, 0xff, 0)]) {
        const k = dataKey(partition, key);
        expect(k[0]).toBe(keySpace.data);
        const parsed = parseDataKey(k);
        expect(parsed.partition).toBe(partition);
        expect(parsed.key).toEqual(key);
      }
    }
  });

  it('lays out 0x01 | partition u16 BE | key', () => {
    expect([...dataKey(0x0102, utf8('ab'))]).toEqual([0x01, 0x01, 0x02, 0x61, 0x62]);
  });

  it('order partitions numerically, then keys bytewise', () => {
    const keys = [dataKey(256, utf8('a')), dataKey(1, utf8('b')), dataKey(1, utf8('a')), dataKey(2, new Uint8Array())];
    const sorted = [...keys].sort(compareBytes).map((k) => parseDataKey(k));
    expect(sorted.map((p) => [p.partition, new TextDecoder().decode(p.key)])).toEqual([
      [1, 'a'],
      [1, 'b'],
      [2, ''],
      [256, 'a'],
    ]);
  });

  it('reject bad partitions and non-data keys', () => {
    for (const p of [-1, 0x10000, 1.5, Number.NaN]) expect(() => dataKey(p, utf8('a'))).toThrow(RangeError);
    expect(() => parseDataKey(Uint8Array.of(0x01, 0))).toThrow(RangeError);
    expect(() => parseDataKey(metaKey('identity'))).toThrow(RangeError);
  });
});

describe('partitionRange', () => {
  it('covers exactly the keys of one partition', () => {
    for (const p of [0, 1, 255, 256, 0xfffe, 0xffff]) {
      const r = partitionRange(p);
      expect(inRange(dataKey(p, new Uint8Array()), r)).toBe(true);
      expect(inRange(dataKey(p, Uint8Array.of(0xff, 0xff, 0xff)), r)).toBe(true);
      if (p > 0) expect(inRange(dataKey(p - 1, Uint8Array.of(0xff, 0xff)), r)).toBe(false);
      if (p < 0xffff) expect(inRange(dataKey(p + 1, new Uint8Array()), r)).toBe(false);
      expect(inRange(Uint8Array.of(keySpace.hint), r)).toBe(false);
      expect(inRange(metaKey('x'), r)).toBe(false);
    }
  });

  it('the data range holds all partitions and no other space', () => {
    const r = dataRange();
    expect(inRange(dataKey(0, new Uint8Array()), r)).toBe(true);
    expect(inRange(dataKey(0xffff, Uint8Array.of(0xff)), r)).toBe(true);
    expect(inRange(metaKey('identity'), r)).toBe(false);
    expect(inRange(Uint8Array.of(keySpace.hint), r)).toBe(false);
  });
});

describe('metaKey', () => {
  it('is 0x00 | ascii name', () => {
    expect([...metaKey('epoch')]).toEqual([0x00, ...utf8('epoch')]);
  });

  it('rejects names that are empty, too long or not printable ASCII', () => {
    for (const name of ['', 'a b', 'é', 'x'.repeat(65), 'tab\t']) expect(() => metaKey(name)).toThrow(RangeError);
  });
});

describe('expiry index keys', () => {
  it('round-trip and lay out 0x05 | expiresAt u64 BE | partition u16 BE | key', async () => {
    const { expiryKey, parseExpiryKey } = await import('./keys.js');
    const k = expiryKey(0x0102030405, 0x0a0b, utf8('k'));
    expect([...k]).toEqual([0x05, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0a, 0x0b, 0x6b]);
    for (const at of [0, 1, 1_700_000_000_000, Number.MAX_SAFE_INTEGER]) {
      const p = parseExpiryKey(expiryKey(at, 7, utf8('ключ')));
      expect([p.expiresAt, p.partition, new TextDecoder().decode(p.key)]).toEqual([at, 7, 'ключ']);
    }
    expect(() => expiryKey(-1, 0, utf8('k'))).toThrow(RangeError);
  });

  it('sort by deadline first, and "due before now" is exactly the entries with expiresAt < now', async () => {
    const { expiredBeforeRange, expiryKey } = await import('./keys.js');
    const r = expiredBeforeRange(1000);
    expect(inRange(expiryKey(999, 0xffff, utf8('zzz')), r)).toBe(true);
    expect(inRange(expiryKey(0, 0, new Uint8Array()), r)).toBe(true);
    expect(inRange(expiryKey(1000, 0, new Uint8Array()), r)).toBe(false);
    expect(inRange(dataKey(0, utf8('a')), r)).toBe(false);
    expect(compareBytes(expiryKey(5, 9, utf8('b')), expiryKey(6, 0, utf8('a')))).toBeLessThan(0);
  });
});
