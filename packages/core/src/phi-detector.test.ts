import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ArrivalWindow, phiOf } from './phi-detector.js';

const settings = { windowSize: 100, minStdDevMs: 100, firstIntervalMs: 500 };

describe('phi accrual', () => {
  it('phi grows with silence', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 5_000 }), (t, dt) => {
        expect(phiOf(t + dt, 500, 100)).toBeGreaterThanOrEqual(phiOf(t, 500, 100));
      }),
    );
  });

  it('table: regular 500 ms heartbeats', () => {
    const w = new ArrivalWindow(settings, 0);
    for (let t = 500; t <= 10_000; t += 500) w.heartbeat(t);
    const at = (ms: number): number => w.phi(10_000 + ms);
    expect(at(0)).toBeLessThan(1);
    expect(at(500)).toBeLessThan(1);
    expect(at(1000)).toBeGreaterThan(3);
    expect(at(2000)).toBeGreaterThan(8);
  });

  it('irregular gossip-relayed heartbeats are tolerated longer', () => {
    const w = new ArrivalWindow(settings, 0);
    let t = 0;
    for (let i = 0; i < 40; i++) {
      t += i % 2 === 0 ? 200 : 900;
      w.heartbeat(t);
    }
    expect(w.phi(t + 1200)).toBeLessThan(8);
  });
});
