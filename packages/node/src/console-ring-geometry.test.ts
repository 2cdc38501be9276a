import { describe, expect, it } from 'vitest';
import { importConsoleModule, type RingGeometryModule } from './console-browser-modules.js';

const geo = await importConsoleModule<RingGeometryModule>('ring-geometry.js');

/** The numbers of an SVG path, in order. */
const numbers = (d: string): number[] => [...d.matchAll(/-?\d+(\.\d+)?/g)].map((m) => Number(m[0]));

describe('console ring geometry', () => {
  it('starts partition 0 at 12 o’clock and goes clockwise', () => {
    expect(geo.pointAt(100, 100, 50, 0)).toEqual([100, 50]);
    expect(geo.pointAt(100, 100, 50, Math.PI / 2)).toEqual([150, 100]);
    expect(geo.partitionAngle(64, 256)).toBeCloseTo(Math.PI / 2);
  });

  it('draws a partition as an annulus sector between its two angles', () => {
    const d = geo.arcPath(0, 4, 100, 100, 50, 30);
    // M outer start, A to outer end (quarter turn, small arc, clockwise), L inner end, A back (anticlockwise), Z
    expect(d).toBe('M100 50A50 50 0 0 1 150 100L130 100A30 30 0 0 0 100 70Z');
  });

  it('ends each of Q arcs where the next one starts, closing the circle', () => {
    const q = 256;
    for (let p = 0; p < q; p++) {
      const here = numbers(geo.arcPath(p, q, 160, 160, 140, 100));
      const next = numbers(geo.arcPath((p + 1) % q, q, 160, 160, 140, 100));
      // M x0 y0 A rx ry rot large sweep x1 y1: the outer end of p (7, 8) is the outer start of p+1 (0, 1)
      expect([here[7], here[8]]).toEqual([next[0], next[1]]);
    }
  });

  it('draws a one-partition ring as a full annulus and refuses impossible arcs', () => {
    expect(geo.arcPath(0, 1, 10, 10, 5, 2).match(/M/g)).toHaveLength(2);
    expect(() => geo.arcPath(4, 4, 0, 0, 2, 1)).toThrow(RangeError);
    expect(() => geo.arcPath(0, 4, 0, 0, 1, 2)).toThrow(RangeError);
  });

  it('gives every node its own colour, the same whatever order the ids come in', () => {
    const a = geo.assignColours(['n3', 'n1', 'n2', 'n1']);
    const b = geo.assignColours(['n2', 'n3', 'n1']);
    expect([...a.entries()]).toEqual([...b.entries()]);
    expect(a.get('n1')).toBe(geo.palette[0]);
    const many = geo.assignColours(Array.from({ length: 40 }, (_, i) => `node-${String(i).padStart(2, '0')}`));
    expect(new Set(many.values()).size).toBe(40);
  });

  it('counts the partitions each node owns (first of the preference list)', () => {
    const counts = geo.ownerCounts([['n1', 'n2'], ['n2', 'n1'], ['n1', 'n3'], []]);
    expect(Object.fromEntries(counts)).toEqual({ n1: 2, n2: 1 });
  });
});
