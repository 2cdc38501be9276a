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

describe('SimProcess pauses (SIGSTOP)', () => {
  it('holds what falls due while paused and runs it late on resume, I/O before timers; a cancelled timer never runs', async () => {
    const scheduler = new Scheduler();
    const t0 = scheduler.now;
    const proc = new SimProcess('n1', 1, scheduler);
    const ran: string[] = [];
    const at = (what: string) => () => void ran.push(`${what}@${scheduler.now - t0}`);
    proc.after(100, at('before'));
    await scheduler.runFor(150);
    proc.pause();
    proc.clock.setTimer(100, at('timer'));
    proc.after(100, at('first'));
    proc.after(200, at('second'));
    const cancel = proc.clock.setTimer(150, at('cancelled'));
    proc.run(at('request'));
    await scheduler.runFor(1000);
    expect(ran).toEqual(['before@100']);
    cancel(); // cleared while waiting for the process
    proc.resume();
    await scheduler.runFor(10);
    expect(ran).toEqual(['before@100', 'request@1150', 'first@1150', 'second@1150', 'timer@1150']);
    expect(proc.clock.now()).toBe(scheduler.now); // the clock went on meanwhile
  });

  it('drops what it held when it dies while paused', async () => {
    const scheduler = new Scheduler();
    const proc = new SimProcess('n1', 1, scheduler);
    let ran = false;
    proc.pause();
    proc.after(10, () => void (ran = true));
    await scheduler.runFor(100);
    proc.die();
    proc.resume();
    await scheduler.runFor(100);
    expect(ran).toBe(false);
  });
});
