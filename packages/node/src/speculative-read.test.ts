import type { Clock } from '@ringkv/core';
import { describe, expect, it } from 'vitest';
import { speculativeReadMs, withSpares } from './speculative-read.js';

/** A clock whose single pending timer the test fires by hand. */
function handClock() {
  let t = 0;
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  const clock: Clock = {
    now: () => t,
    setTimer: (ms, fn) => {
      const timer = { at: t + ms, fn, cancelled: false };
      timers.push(timer);
      return () => void (timer.cancelled = true);
    },
  };
  const advance = (ms: number): void => {
    t += ms;
    for (const timer of timers) if (!timer.cancelled && timer.at <= t) (timer.cancelled = true), timer.fn();
  };
  return { clock, advance, timers };
}

/** A promise the test settles by hand. */
function pending<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('withSpares (speculative read)', () => {
  it('a prompt answer asks no spare and cancels the timer', async () => {
    const { clock, timers } = handClock();
    let spares = 0;
    const got = await withSpares(clock, 1000, async () => 'first', () => (spares++, Promise.resolve('spare')));
    expect(got).toBe('first');
    expect(spares).toBe(0);
    expect(timers.every((t) => t.cancelled)).toBe(true);
  });

  it('a slow replica gets a spare after speculativeReadMs with the time left, and the first answer wins', async () => {
    const { clock, advance } = handClock();
    const first = pending<string>();
    const asked: number[] = [];
    const result = withSpares(clock, 1000, () => first.promise, (remaining) => (asked.push(remaining), Promise.resolve('spare')));
    advance(speculativeReadMs - 1);
    await flush();
    expect(asked).toEqual([]);
    advance(1);
    expect(await result).toBe('spare');
    expect(asked).toEqual([1000 - speculativeReadMs]);
    first.resolve('late'); // ignored
  });

  it('a failure asks a spare at once; when every attempt fails and no spare is left, the last error', async () => {
    const { clock } = handClock();
    const spares = [Promise.reject(new Error('spare down'))];
    const result = withSpares(clock, 1000, () => Promise.reject(new Error('first down')), () => spares.shift());
    await expect(result).rejects.toThrow('spare down');
  });

  it('waits at most half the timeout before asking a spare, and none once time is up', async () => {
    const { clock, advance } = handClock();
    const asked: number[] = [];
    const first = pending<string>();
    const result = withSpares(clock, 100, () => first.promise, (remaining) => (asked.push(remaining), undefined));
    advance(50);
    expect(asked).toEqual([50]);
    advance(60);
    first.reject(new Error('timed out'));
    await expect(result).rejects.toThrow('timed out');
    expect(asked).toEqual([50]); // the failure found no time left for another spare
  });
});
