import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nextFallback, sloppyPreferenceList } from './sloppy-preference-list.js';

describe('sloppy preference list', () => {
  it('keeps up primaries and replaces each down primary by the next up spare', () => {
    const walk = ['a', 'b', 'c', 'd', 'e'];
    const up = (id: string): boolean => id !== 'b';
    expect(sloppyPreferenceList(walk, 3, up)).toEqual([
      { node: 'a', primary: true },
      { node: 'd', primary: false, hintFor: 'b' },
      { node: 'c', primary: true },
    ]);
    expect(nextFallback(walk, 3, new Set(['a', 'c', 'd']), up)).toBe('e');
  });

  it('laws: distinct nodes, all up, primaries first-N, one entry per primary while spares last', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (size, n, ups) => {
        const walk = Array.from({ length: size }, (_, i) => `n${i}`);
        const isUp = (id: string): boolean => ups[Number(id.slice(1))] === true;
        const list = sloppyPreferenceList(walk, n, isUp);
        const nodes = list.map((t) => t.node);
        expect(new Set(nodes).size).toBe(nodes.length);
        expect(nodes.every(isUp)).toBe(true);
        for (const t of list) {
          if (t.primary) expect(walk.slice(0, n)).toContain(t.node);
          else {
            expect(walk.slice(n)).toContain(t.node);
            expect(isUp(t.hintFor as string)).toBe(false);
          }
        }
        const upSpares = walk.slice(n).filter(isUp).length;
        const downPrimaries = walk.slice(0, n).filter((p) => !isUp(p)).length;
        expect(list.length).toBe(Math.min(walk.slice(0, n).length, walk.slice(0, n).length - downPrimaries + upSpares));
      }),
    );
  });
});
