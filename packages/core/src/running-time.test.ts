import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RunningTime } from './running-time.js';

/** A run of the node's periodic work: each step it wakes `late` ms after its deadline (0: on time) and sets the next one `gap` ahead. */
const steps = fc.array(fc.record({ gap: fc.integer({ min: 1, max: 2000 }), late: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 60_000 })), probe: fc.integer({ min: 0, max: 100 }) }), { maxLength: 40 });

describe('RunningTime (a failure detector measuring silence in it ignores local pauses; fast-check prints a failing seed)', () => {
  it('is wall-clock time while the node meets every deadline', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), steps, (start, run) => {
        const t = new RunningTime();
        let now = start;
        expect(t.at(now)).toBe(now);
        for (const { gap } of run) {
          expect(t.expectBy(now, now + gap)).toBe(0);
          now += gap; // wakes exactly on time
          expect(t.at(now)).toBe(now);
        }
      }),
    );
  });

  it('leaves out exactly the time the node ran late, and never goes back or ahead of the wall clock', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), steps, (start, run) => {
        const t = new RunningTime();
        let now = start;
        let stopped = 0;
        let last = t.at(now);
        for (const { gap, late, probe } of run) {
          expect(t.expectBy(now, now + gap)).toBe(0); // runs at once: not late
          // part-way through the wait and the lateness, probes see running time stand still past the deadline
          const mid = now + Math.floor(((gap + late) * probe) / 100);
          const atMid = t.at(mid);
          expect(atMid).toBe(Math.min(mid, now + gap) - stopped);
          expect(atMid).toBeGreaterThanOrEqual(last);
          now += gap + late;
          expect(t.expectBy(now, now + 1)).toBe(late);
          stopped += late;
          last = t.at(now);
          expect(last).toBe(now - stopped);
        }
      }),
    );
  });

  it('stands still while the node is stopped and goes on from there once it runs again', () => {
    const t = new RunningTime();
    t.expectBy(1000, 1500);
    expect(t.at(1400)).toBe(1400);
    expect(t.at(1500)).toBe(1500);
    expect(t.at(9000)).toBe(1500); // stopped since 1500, not yet run again
    expect(t.expectBy(9000, 9500)).toBe(7500);
    expect(t.at(9200)).toBe(1700);
  });

  it('never goes back at its periodic work, whatever steps the wall clock takes either way', () => {
    const walk = fc.array(fc.record({ gap: fc.integer({ min: 1, max: 2000 }), late: fc.integer({ min: 0, max: 5000 }), step: fc.integer({ min: -120_000, max: 120_000 }) }), { maxLength: 40 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), walk, (start, run) => {
        const t = new RunningTime();
        let now = start;
        t.expectBy(now, now + 1);
        let last = t.at(now);
        for (const { gap, late, step } of run) {
          t.expectBy(now, now + gap);
          now += gap + late + step; // the wall clock may step back by more than the time that passed
          t.expectBy(now, now + 1);
          const at = t.at(now);
          expect(at).toBeGreaterThanOrEqual(last);
          last = at;
        }
      }),
    );
  });
});
