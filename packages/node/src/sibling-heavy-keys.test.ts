import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SiblingHeavyKeys } from './sibling-heavy-keys.js';

const utf8 = (key: string): Uint8Array => new TextEncoder().encode(key);

describe('SiblingHeavyKeys', () => {
  it('lists keys at or past the threshold, most siblings first, and forgets a key seen below it', () => {
    const heavy = new SiblingHeavyKeys(25, 3);
    heavy.observe(3, utf8('light'));
    heavy.observe(25, utf8('a'));
    heavy.observe(60, utf8('b'));
    expect(heavy.top()).toEqual([{ key: 'b', siblings: 60 }, { key: 'a', siblings: 25 }]);
    heavy.observe(1, utf8('b')); // a write with the read's context resolved it
    expect(heavy.top()).toEqual([{ key: 'a', siblings: 25 }]);
  });

  it('keeps the heaviest keys when full', () => {
    const heavy = new SiblingHeavyKeys(25, 2);
    heavy.observe(30, utf8('a'));
    heavy.observe(40, utf8('b'));
    heavy.observe(29, utf8('c')); // fewer than either: not listed
    heavy.observe(50, utf8('d')); // more than 'a': replaces it
    expect(heavy.top().map((k) => k.key)).toEqual(['d', 'b']);
  });

  it('holds at most `capacity` keys, each at or past the threshold, each with its last count (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.integer({ min: 0, max: 60 })), { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), (observations, capacity) => {
        const heavy = new SiblingHeavyKeys(25, capacity);
        const last = new Map<string, number>();
        for (const [key, siblings] of observations) {
          heavy.observe(siblings, utf8(key));
          last.set(key, siblings);
        }
        const top = heavy.top();
        expect(top.length).toBeLessThanOrEqual(capacity);
        for (const { key, siblings } of top) {
          expect(siblings).toBeGreaterThanOrEqual(25);
          expect(siblings).toBe(last.get(key));
        }
        // a key whose last count is below the threshold is never listed
        for (const [key, siblings] of last) if (siblings < 25) expect(top.some((k) => k.key === key)).toBe(false);
      }),
    );
  });
});
