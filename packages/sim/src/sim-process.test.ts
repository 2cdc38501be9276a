import { describe, expect, it } from 'vitest';
import { Scheduler } from './scheduler.js';
import { SimProcess } from './sim-process.js';

describe('SimProcess clock record', () => {
  it('gives the highest reading its clock gave while it lived, up to a time', async () => {
    const scheduler = new Scheduler();
    const t0 = scheduler.now;
    const proc = new SimProcess('n1', 1, scheduler);
    await scheduler.runFor(1000);
    proc.jumpClock(5000); // reads t0 + 6000 right after the jump
    await scheduler.runFor(1000);
    proc.jumpClock(-10_000); // back to t0 - 3000
    await scheduler.runFor(1000);
    expect(proc.jumps).toBe(2);
    expect(proc.clock.now()).toBe(t0 - 2000);
    expect(proc.clockPeakBy(t0 + 500)).toBe(t0 + 500);
    expect(proc.clockPeakBy(t0 + 1500)).toBe(t0 + 6500);
    expect(proc.clockPeakBy(t0 + 3000)).toBe(t0 + 7000);
    proc.die();
    await scheduler.runFor(50_000);
    proc.jumpClock(100_000); // a dead process's clock judges nothing
    expect(proc.clockPeakBy(scheduler.now)).toBe(t0 + 7000);
    expect(proc.clockPeakBy(t0 - 1)).toBe(-Infinity);
  });
});
