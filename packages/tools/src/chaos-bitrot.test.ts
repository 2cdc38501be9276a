import { encodeKey, partitionOfKey } from '@ringkv/core';
import { describe, expect, it } from 'vitest';
import { chooseFlip, findValues, flipBit, isPrimaryOf, keysInLog, liveCopies, newestValues, occurrences, tableNumber, type ValueHit } from './chaos-bitrot.js';
import type { HistoryEvent } from './chaos-history.js';
import { ChaosRandom } from './chaos-random.js';
import { NEEDLE_LENGTH, findableValue, valueNeedle } from './chaos-values.js';

const put = (t: number, client: number, key: string, value: string): HistoryEvent => ({ t, client, op: 'put', key, value, phase: 'invoke', node: 'n1' });
const del = (t: number, client: number, key: string, id: string): HistoryEvent => ({ t, client, op: 'delete', key, value: id, phase: 'invoke', node: 'n1' });

describe('findable values', () => {
  it('are the id and a suffix of hash characters, unique per id, and give back that suffix as the needle', () => {
    const v = findableValue('c3-17');
    expect(v).toMatch(new RegExp(`^c3-17~[A-Za-z0-9_-]{${NEEDLE_LENGTH}}$`));
    expect(findableValue('c3-17')).toBe(v);
    expect(findableValue('c3-18')).not.toBe(v);
    expect(valueNeedle(v)?.toString()).toBe(v.slice(-NEEDLE_LENGTH));
    expect(valueNeedle('c3-17')).toBeUndefined();
    expect(valueNeedle('c3-17~short')).toBeUndefined();
  });

  it('have no 4-byte run twice in their suffixes (what Snappy would turn into a back-reference)', () => {
    const grams = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const s = findableValue(`c1-${i}`).slice(-NEEDLE_LENGTH);
      for (let j = 0; j + 4 <= s.length; j++) grams.set(s.slice(j, j + 4), (grams.get(s.slice(j, j + 4)) ?? 0) + 1);
    }
    // 200 × 29 four-character runs from 64^4 ≈ 16.8 M: a repeat or two is chance, not structure
    expect([...grams.values()].filter((n) => n > 1).length).toBeLessThan(5);
  });
});

describe('newestValues: what to look for on a node', () => {
  it('takes the last PUT of each key, of workload clients only, and drops a key deleted after it', () => {
    const a1 = findableValue('c1-0');
    const a2 = findableValue('c2-0');
    const b1 = findableValue('c1-1');
    const c1 = findableValue('c1-2');
    const events: HistoryEvent[] = [
      put(1, 1, 'a', a1),
      put(2, 2, 'a', a2),
      { t: 3, client: 2, op: 'put', key: 'a', phase: 'ok', node: 'n1', status: 204 },
      put(4, 1, 'b', b1),
      del(5, 1, 'b', 'c1-9'),
      del(6, 1, 'c', 'c1-10'),
      put(7, 1, 'c', c1),
      { t: 8, client: 'final-0', op: 'put', key: 'd', value: findableValue('x'), phase: 'invoke', node: 'n1' },
      put(9, 1, 'e', 'c1-3'),
    ];
    expect(newestValues(events).map((v) => [v.key, v.value])).toEqual([
      ['a', a2],
      ['c', c1],
    ]);
  });
});

describe('finding a value in a table file', () => {
  const v = findableValue('c4-2');
  const needle = valueNeedle(v) as Buffer;
  const table = Buffer.concat([Buffer.from([0x00, 0xc1, 0x12]), Buffer.from('junk'), needle, Buffer.from([0x07]), needle.subarray(0, 20), Buffer.from('more'), needle]);

  it('finds every whole occurrence, and no partial one', () => {
    expect(occurrences(table, needle)).toEqual([7, 7 + 32 + 1 + 20 + 4]);
    expect(occurrences(table, Buffer.alloc(0))).toEqual([]);
    expect(findValues('t.ldb', table, [{ key: 'k', value: v, needle }])).toEqual([
      { file: 't.ldb', offset: 7, key: 'k', value: v, needleLength: 32 },
      { file: 't.ldb', offset: 64, key: 'k', value: v, needleLength: 32 },
    ]);
  });

  it('keeps the first copy of a value (the newest version of the key) in the newest table holding it (older ones a compaction replaced)', () => {
    const hit = (file: string, offset: number, value: string): ValueHit => ({ file, offset, key: value, value, needleLength: 32 });
    const a = '/d/db/000005.ldb';
    const b = '/d/db/000012.ldb';
    expect(liveCopies([hit(a, 90, 'x'), hit(a, 10, 'x'), hit(a, 50, 'y'), hit(b, 700, 'z'), hit(a, 5, 'z'), hit(b, 900, 'z')])).toEqual([
      hit(a, 10, 'x'),
      hit(a, 50, 'y'),
      hit(b, 700, 'z'),
    ]);
    expect([tableNumber(b), tableNumber('/d/000123.sst'), tableNumber('/d/MANIFEST-000006')]).toEqual([12, 123, -1]);
  });

  it('knows the keys a write-ahead log mentions, not counting a key inside a longer one', () => {
    const log = Buffer.concat([Buffer.from([1, 0, 7]), Buffer.from('shared-12'), Buffer.from([0x95, 0x01, 0xc1]), Buffer.from('c1-k3'), Buffer.from([0x80])]);
    expect([...keysInLog(log, ['shared-1', 'shared-12', 'c1-k3', 'c1-k4'])].sort()).toEqual(['c1-k3', 'shared-12']);
  });

  it('knows which keys a node is a primary replica of from its ring', () => {
    const ring = { partitionCount: 8, partitions: Array.from({ length: 8 }, (_, p) => (p % 2 === 0 ? ['n1', 'n2', 'n3'] : ['n3', 'n4', 'n5'])) };
    const keys = Array.from({ length: 40 }, (_, i) => `shared-${i}`);
    for (const k of keys) {
      const even = partitionOfKey(encodeKey(k), 8) % 2 === 0;
      expect([isPrimaryOf(ring, 'n1', k), isPrimaryOf(ring, 'n3', k), isPrimaryOf(ring, 'n5', k), isPrimaryOf(ring, 'n9', k)]).toEqual([even, true, !even, false]);
    }
  });
});

describe('choosing and flipping a bit', () => {
  const hits: ValueHit[] = [
    { file: 'a.ldb', offset: 100, key: 'k1', value: 'v1', needleLength: 32 },
    { file: 'b.ldb', offset: 7, key: 'k2', value: 'v2', needleLength: 32 },
  ];

  it('chooses a byte inside the needle and one bit of it, the same for the same seed', () => {
    for (let seed = 0; seed < 200; seed++) {
      const flip = chooseFlip(hits, new ChaosRandom(seed));
      expect(flip).toBeDefined();
      if (flip === undefined) return;
      expect(flip.byteInNeedle).toBeGreaterThanOrEqual(0);
      expect(flip.byteInNeedle).toBeLessThan(32);
      expect(flip.offset).toBe(flip.hit.offset + flip.byteInNeedle);
      expect(flip.bit).toBeGreaterThanOrEqual(0);
      expect(flip.bit).toBeLessThanOrEqual(7);
      expect(chooseFlip(hits, new ChaosRandom(seed))).toEqual(flip);
    }
    expect(chooseFlip([], new ChaosRandom(1))).toBeUndefined();
  });

  it('flips exactly that bit, and refuses one outside the buffer', () => {
    const bytes = Buffer.from('ABCD');
    flipBit(bytes, 2, 5);
    expect([...bytes]).toEqual([0x41, 0x42, 0x43 ^ 0x20, 0x44]);
    flipBit(bytes, 2, 5);
    expect(bytes.toString()).toBe('ABCD');
    expect(() => flipBit(bytes, 4, 0)).toThrow(RangeError);
    expect(() => flipBit(bytes, 0, 8)).toThrow(RangeError);
  });
});
