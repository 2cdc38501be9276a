import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { emptyDots } from './dots.js';
import type { KvRecord } from './record.js';
import { applyWrite, mergeRecords } from './record.js';
import { liveAt } from './expiry.js';
import { etagMatches, etagOf, etagOfLive, parseEtagCondition } from './etag.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const write = (rec: KvRecord | undefined, actor: string, value: string | null, opts: { ctx?: boolean; expiresAt?: number } = {}) =>
  applyWrite(rec, {
    actor,
    context: opts.ctx === false ? emptyDots() : (rec?.history ?? emptyDots()),
    value: value === null ? null : bytes(value),
    contentType: 't',
    writtenAt: 1000,
    ...(opts.expiresAt === undefined ? {} : { expiresAt: opts.expiresAt }),
  }).record;

describe('etag', () => {
  it('names the live versions: same on every replica, new for every write, none when nothing is live', () => {
    const a = write(undefined, 'n1#1', 'x');
    const tag = etagOf(a, 0);
    expect(tag).toMatch(/^"[0-9a-f]{16}"$/);
    expect(etagOf(mergeRecords(a, a), 0)).toBe(tag);
    const b = write(a, 'n1#1', 'x'); // same bytes, new version
    expect(etagOf(b, 0)).not.toBe(tag);
    const sib = write(a, 'n2#1', 'y', { ctx: false });
    expect(etagOf(sib, 0)).not.toBe(tag);
    // a tombstone beside the value does not change what a reader sees
    const withTomb = mergeRecords(a, write(undefined, 'n2#1', null));
    expect(etagOf(withTomb, 0)).toBe(tag);
    expect(etagOf(write(a, 'n1#1', null), 0)).toBeUndefined();
    expect(etagOf(undefined, 0)).toBeUndefined();
    expect(etagOf(write(undefined, 'n1#1', 'x', { expiresAt: 2000 }), 2000)).toBeUndefined();
  });

  it('does not depend on merge order (fast-check; a failure prints its seed)', () => {
    const writes = fc.array(fc.tuple(fc.constantFrom('n1#1', 'n2#1', 'n3#1'), fc.option(fc.string(), { nil: null })), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(writes, (ws) => {
        const recs = ws.map(([actor, v], i) => write(undefined, `${actor}${i}`, v));
        const fwd = recs.reduce(mergeRecords);
        const back = [...recs].reverse().reduce(mergeRecords);
        expect(etagOf(fwd, 0)).toBe(etagOf(back, 0));
      }),
    );
  });

  it('is the same from the live siblings in any order, and leaves their order alone (fast-check; a failure prints its seed)', () => {
    const writes = fc.array(fc.tuple(fc.constantFrom('n1#1', 'n2#1', 'n3#1'), fc.option(fc.string(), { nil: null })), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(writes, fc.integer({ min: 0, max: 5 }), (ws, rotate) => {
        const rec = ws.map(([actor, v], i) => write(undefined, `${actor}${i}`, v)).reduce(mergeRecords);
        const live = liveAt(rec, 0);
        const shuffled = [...live.slice(rotate % Math.max(1, live.length)), ...live.slice(0, rotate % Math.max(1, live.length))].reverse();
        const before = [...shuffled];
        expect(etagOfLive(shuffled)).toBe(etagOf(rec, 0));
        expect(shuffled).toEqual(before);
      }),
    );
  });

  it('parses and matches If-Match / If-None-Match headers', () => {
    expect(parseEtagCondition('*')).toEqual({ any: true });
    expect(parseEtagCondition(' "a", W/"b" ')).toEqual({ any: false, tags: ['"a"', 'W/"b"'] });
    expect(parseEtagCondition('abc')).toBeUndefined();
    expect(parseEtagCondition('"a" "b"')).toBeUndefined();
    const cond = parseEtagCondition('"a", W/"b"');
    if (cond === undefined) throw new Error('unparsed');
    expect(etagMatches(cond, '"a"')).toBe(true);
    expect(etagMatches(cond, '"b"')).toBe(false); // weak tags never match strongly
    expect(etagMatches(cond, undefined)).toBe(false);
    expect(etagMatches({ any: true }, '"z"')).toBe(true);
    expect(etagMatches({ any: true }, undefined)).toBe(false);
  });
});
