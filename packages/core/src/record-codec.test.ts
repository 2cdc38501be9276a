import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Packr, pack } from 'msgpackr';
import type { Dot } from './dots.js';
import { dotsAdd, dotsFromVersionVector, emptyDots } from './dots.js';
import type { KvRecord, Sibling } from './record.js';
import { InvariantViolation, assertRecordInvariants, compareDots, emptyRecord, recordEquals } from './record.js';
import { RecordFormatError, decodeRecord, encodeRecord, recordFromWire, recordToWire } from './record-codec.js';

const actorArb = fc.oneof(fc.constantFrom('n1#1', 'n2#7', '__proto__'), fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }));
const dotArbOf = (actors: fc.Arbitrary<string>): fc.Arbitrary<Dot> =>
  fc.record({
    actor: actors,
    counter: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
  });
const siblingArb = (dot: Dot, text: fc.Arbitrary<string> = fc.string({ maxLength: 40 })): fc.Arbitrary<Sibling> =>
  fc.record({
    dot: fc.constant(dot),
    value: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null }),
    contentType: text,
    writtenAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 }),
    ttlMs: fc.option(fc.integer({ min: 1, max: 10 * 366 * 86_400_000 }), { nil: undefined }),
  }).map(({ ttlMs, ...s }) =>
    // a TTL only where the deadline is still a safe integer; absent means the 5-field sibling form
    ttlMs === undefined || s.writtenAt + ttlMs > Number.MAX_SAFE_INTEGER ? s : { ...s, expiresAt: s.writtenAt + ttlMs },
  );
const recordArbOf = (actors: fc.Arbitrary<string>, text?: fc.Arbitrary<string>): fc.Arbitrary<KvRecord> =>
  fc
    .tuple(fc.array(dotArbOf(actors), { maxLength: 8 }), fc.uniqueArray(dotArbOf(actors), { maxLength: 4, selector: (d) => `${d.actor}\u0000${d.counter}` }))
    .chain(([seen, live]) =>
      fc.tuple(...[...live].sort(compareDots).map((dot) => siblingArb(dot, text))).map((siblings) => ({
        history: [...seen, ...live].reduce(dotsAdd, emptyDots()),
        siblings,
      })),
    );
const recordArb = recordArbOf(actorArb);
// Any text an actor or content type may be (1..256 UTF-16 units, lone surrogates included), at lengths
// around the msgpack header bounds and msgpackr's 64-char switch between its UTF-8 encoders.
const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const anyTextOf = (min: number): fc.Arbitrary<string> =>
  fc.oneof(fc.integer({ min, max: 40 }), fc.integer({ min: 60, max: 90 }), fc.integer({ min: 250, max: 256 })).chain((n) =>
    fc.string({ minLength: n, maxLength: n, unit: fc.oneof(utf16Unit, fc.constantFrom('a', '€', '\ud800')) }),
  );

/** Everything, bytes included. */
function canon(rec: KvRecord): unknown {
  return { wire: recordToWire(rec), values: rec.siblings.map((s) => s.value && [...s.value]) };
}

/** Decoding may succeed on lucky input, but then the record must be sound. */
function decodesSafely(bytes: Uint8Array): void {
  try {
    assertRecordInvariants(decodeRecord(bytes));
  } catch (e) {
    expect(e).toBeInstanceOf(RecordFormatError);
  }
}

const sib = (actor: string, counter: number): unknown[] => [actor, counter, new Uint8Array([1]), 'text/plain', 5];

describe('record codec', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(recordArb, (rec) => {
        const back = decodeRecord(encodeRecord(rec));
        expect(recordEquals(back, rec)).toBe(true);
        expect(canon(back)).toEqual(canon(rec));
        expect(canon(recordFromWire(recordToWire(rec)))).toEqual(canon(rec));
      }),
    );
  });

  it('writes the bytes msgpackr packs for [1, recordToWire(rec)] (stored bytes are hashed and compared across nodes)', () => {
    const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false });
    fc.assert(
      fc.property(fc.oneof(recordArb, recordArbOf(anyTextOf(1), anyTextOf(0))), (rec) => {
        expect(Buffer.from(encodeRecord(rec)).equals(packr.pack([1, recordToWire(rec)]))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('returns bytes of its own, not a view of a shared buffer', () => {
    const rec: KvRecord = { history: dotsFromVersionVector({ a: 1 }), siblings: [{ dot: { actor: 'a', counter: 1 }, value: new Uint8Array([7]), contentType: 't', writtenAt: 1 }] };
    const first = encodeRecord(rec);
    const copy = [...first];
    encodeRecord(emptyRecord());
    expect([...first]).toEqual(copy);
    expect(first.byteLength).toBe(first.buffer.byteLength);
  });

  it('throws only RecordFormatError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), decodesSafely), { numRuns: 500 });
  });

  it('throws only RecordFormatError on well-formed msgpack of the wrong shape', () => {
    const junk = fc.anything({ withTypedArray: true, withMap: true, withSet: true, withDate: true, withNullPrototype: true });
    fc.assert(
      fc.property(junk, junk, (a, b) => {
        decodesSafely(pack(a));
        decodesSafely(pack([1, a]));
        decodesSafely(pack([1, [a, b]]));
        decodesSafely(pack([1, [[['a', 2]], [['a', 1, a, 't', 0], b]]]));
      }),
    );
  });

  it('throws only RecordFormatError on corrupted encodings', () => {
    fc.assert(
      fc.property(recordArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (rec, flips) => {
        const bytes = encodeRecord(rec);
        for (const [at, byte] of flips) bytes[at % bytes.length] = byte;
        decodesSafely(bytes);
        decodesSafely(bytes.subarray(0, bytes.length - 1));
      }),
    );
  });

  it('rejects malformed records with a reason', () => {
    const history = [['a', 3]];
    const bad: [unknown, RegExp][] = [
      [[2, [history, []]], /version 2/],
      [['1', [history, []]], /version/],
      [[1, [history, []], 0], /\[version, record\]/],
      [{ v: 1 }, /\[version, record\]/],
      [[1, [history]], /\[history, siblings\]/],
      [[1, [history, {}]], /siblings must be an array/],
      [[1, [[['a', 3, [3, 3]]], []]], /reaches max/],
      [[1, [[['b', 1], ['a', 1]], []]], /sorted/],
      [[1, [history, [sib('a', 4)]]], /not in the record's history/],
      [[1, [history, [sib('a', 2), sib('a', 1)]]], /out of order/],
      [[1, [history, [sib('a', 1), sib('a', 1)]]], /duplicated/],
      [[1, [history, [sib('a', 0)]]], /counter/],
      [[1, [history, [sib('a', 1.5)]]], /counter/],
      [[1, [history, [sib('', 1)]]], /actor/],
      [[1, [history, [['a', 1, 'text', 't', 1]]]], /value must be bytes/],
      [[1, [history, [['a', 1, null, 'x'.repeat(257), 1]]]], /contentType/],
      [[1, [history, [['a', 1, null, 7, 1]]]], /contentType/],
      [[1, [history, [['a', 1, null, 't', -1]]]], /writtenAt/],
      [[1, [history, [['a', 1, null, 't']]]], /sibling 0/],
      [[1, [history, [['a', 1, null, 't', 5, 5]]]], /expiresAt/],
      [[1, [history, [['a', 1, null, 't', 5, 'soon']]]], /expiresAt/],
      [[1, [history, [['a', 1, null, 't', 5, 9, 0]]]], /sibling 0/],
    ];
    for (const [value, reason] of bad) {
      const attempt = (): KvRecord => decodeRecord(pack(value));
      expect(attempt, JSON.stringify(value)).toThrow(RecordFormatError);
      expect(attempt, JSON.stringify(value)).toThrow(reason);
    }
    expect(() => decodeRecord(pack([1, [[['a', 2n ** 63n - 1n]], []]]))).toThrow(RecordFormatError);
    expect(() => decodeRecord(pack([2n, [history, []]]))).toThrow(/unknown format version/);
    expect(() => decodeRecord(new Uint8Array([]))).toThrow(RecordFormatError);
    expect(() => decodeRecord(new Uint8Array([0x92, 0x01]))).toThrow(/not msgpack/);
    // a valid record followed by junk is not a valid record
    expect(() => decodeRecord(new Uint8Array([...encodeRecord(emptyRecord()), 0]))).toThrow(RecordFormatError);
  });

  it('decodes records written before expiry existed (5-field siblings) and keeps writing them without a TTL', () => {
    const old = pack([1, [[['a', 1]], [['a', 1, new Uint8Array([1]), 't', 5]]]]);
    const rec = decodeRecord(old);
    expect(rec.siblings[0]?.expiresAt).toBeUndefined();
    expect([...encodeRecord(rec)]).toEqual([...old]);
    const withTtl = decodeRecord(pack([1, [[['a', 1]], [['a', 1, new Uint8Array([1]), 't', 5, 2005]]]]));
    expect(withTtl.siblings[0]?.expiresAt).toBe(2005);
  });

  it('accepts a tombstone with an empty content type', () => {
    const rec = decodeRecord(pack([1, [[['a', 1]], [['a', 1, null, '', 0]]]]));
    expect(rec.siblings[0]?.value).toBeNull();
  });

  it('refuses to encode a broken record', () => {
    const s: Sibling = { dot: { actor: 'a', counter: 2 }, value: null, contentType: '', writtenAt: 0 };
    expect(() => encodeRecord({ history: dotsFromVersionVector({ a: 1 }), siblings: [s] })).toThrow(InvariantViolation);
  });
});
