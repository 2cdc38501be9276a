import { describe, expect, it } from 'vitest';
import { connectBackoffMs } from './connect-backoff.js';

describe('connectBackoffMs', () => {
  it.each([
    [0, 0],
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1000],
    [6, 1000],
    [1_000_000, 1000],
  ])('after %i failures waits %i ms', (failureCount, expectedMs) => {
    expect(connectBackoffMs(failureCount)).toBe(expectedMs);
  });
});
