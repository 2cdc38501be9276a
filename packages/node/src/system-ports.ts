import type { Clock, Random } from '@ringkv/core';
import { setIoFirstTimer } from './io-first-timer.js';

/**
 * The real clock: wall time and Node timers (unref'd so they never keep a
 * process alive on their own; a late one lets waiting I/O go first, see
 * io-first-timer.ts).
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, fn) => setIoFirstTimer(fn, ms),
};

export const systemRandom: Random = {
  next: () => Math.random(),
  int: (n) => Math.floor(Math.random() * n),
};
