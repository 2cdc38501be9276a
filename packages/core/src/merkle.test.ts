import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import {
  MerkleTree,
  diffEntries,
  differingIndexes,
  entryHash,
  hashesEqual,
  keySegment,
  segmentsOfGroup,
  type Hash64,
  type SegmentEntry,
} from './merkle.js';

const enc = new TextEncoder();
type Replica = Map<string, string>; // key → value

function treeOf(r: Replica): MerkleTree {
  const t = new MerkleTree();
  for (const [k, v] of r) t.replace(keySegment(enc.encode(k)), undefined, entryHash(enc.encode(k), enc.encode(v)));
  return t;
}

function entriesIn(r: Replica, segments: ReadonlySet<number>): SegmentEntry[] {
  return [...r]
    .filter(([k]) => segments.has(keySegment(enc.encode(k))))
    .map(([k, v]) => ({ key: k, hash: entryHash(enc.encode(k), enc.encode(v)) }));
}

/** The exchange, top-down, as anti-entropy runs it; returns the keys found and the hashes compared. */
function exchange(a: Replica, b: Replica): { keys: Set<string>; hashesCompared: number } {
  const ta = treeOf(a);
  const tb = treeOf(b);
  let hashesCompared = 1;
  if (hashesEqual(ta.root(), tb.root())) return { keys: new Set(), hashesCompared };
  const groups = differingIndexes(ta.groups(), tb.groups());
  hashesCompared += 16;
  const segments = new Set<number>();
  for (const g of groups) {
    hashesCompared += 16;
    for (const i of differingIndexes(ta.segmentsOf(g), tb.segmentsOf(g))) segments.add(segmentsOfGroup(g)[i] as number);
  }
  const d = diffEntries(entriesIn(a, segments), entriesIn(b, segments));
  return { keys: new Set([...d.differ, ...d.onlyMine, ...d.onlyTheirs]), hashesCompared };
}

const replicaArb = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 6 }), { maxKeys: 200 });

describe('keySegment', () => {
  it('is byte 4 of MD5(key) (nodes of every version must put a key in the same segment)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (key) => {
        expect(keySegment(key)).toBe(createHash('md5').update(key).digest()[4]);
      }),
    );
  });
});

describe('entryHash', () => {
  it('is the first 64 bits of MD5(key, 0x00, record bytes) at every size (nodes of every version must agree)', () => {
    const reference = (key: Uint8Array, bytes: Uint8Array): Hash64 => {
      const d = createHash('md5').update(Buffer.concat([key, Buffer.from([0]), bytes])).digest();
      return [d.readUInt32BE(0), d.readUInt32BE(4)];
    };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 255 }), (key, size, fill) => {
        const bytes = new Uint8Array(size).map((_, i) => (i * 31 + fill) & 0xff);
        expect(entryHash(key, bytes)).toEqual(reference(key, bytes));
      }),
    );
    // both sides of the switch from one-shot to streamed hashing
    for (const size of [1023, 1024]) expect(entryHash(enc.encode('k'), new Uint8Array(size))).toEqual(reference(enc.encode('k'), new Uint8Array(size)));
  });
});

describe('merkle tree', () => {
  it('toggling is its own inverse and order does not matter', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }))), (ops) => {
        const t1 = new MerkleTree();
        const t2 = new MerkleTree();
        for (const [s, h, l] of ops) t1.toggle(s, [h, l] as Hash64);
        for (const [s, h, l] of [...ops].reverse()) t2.toggle(s, [h, l] as Hash64);
        expect(t1.root()).toEqual(t2.root());
        for (const [s, h, l] of ops) t1.toggle(s, [h, l] as Hash64);
        expect(t1.root()).toEqual([0, 0]);
      }),
    );
  });

  it('the exchange finds exactly the keys that differ', () => {
    fc.assert(
      fc.property(replicaArb, fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.option(fc.string({ maxLength: 6 })))), (base, edits) => {
        const a: Replica = new Map(Object.entries(base));
        const b: Replica = new Map(a);
        for (const [k, v] of edits) {
          if (v === null) b.delete(k);
          else b.set(k, v);
        }
        const truth = new Set([...a.keys(), ...b.keys()].filter((k) => a.get(k) !== b.get(k)));
        expect(exchange(a, b).keys).toEqual(truth);
      }),
    );
  });

  it('an incrementally maintained tree equals one built from scratch', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 4 }), fc.option(fc.string({ maxLength: 4 })))), (ops) => {
        const live: Replica = new Map();
        const t = new MerkleTree();
        for (const [k, v] of ops) {
          const key = enc.encode(k);
          const before = live.has(k) ? entryHash(key, enc.encode(live.get(k) as string)) : undefined;
          const after = v === null ? undefined : entryHash(key, enc.encode(v));
          t.replace(keySegment(key), before, after);
          if (v === null) live.delete(k);
          else live.set(k, v);
        }
        expect(t.root()).toEqual(treeOf(live).root());
        expect(t.entryCount).toBe(live.size);
      }),
    );
  });

  it('cost grows with the difference, not the data', () => {
    const a: Replica = new Map();
    for (let i = 0; i < 20_000; i++) a.set(`key-${i}`, `v${i}`);
    const same = exchange(a, new Map(a));
    expect(same.hashesCompared).toBe(1);
    const b = new Map(a);
    b.set('key-7', 'changed');
    const one = exchange(a, b);
    expect(one.keys).toEqual(new Set(['key-7']));
    // root + 16 groups + one group's 16 segments, however many keys there are
    expect(one.hashesCompared).toBe(33);
  });
});
