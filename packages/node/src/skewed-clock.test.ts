import type { Clock } from '@ringkv/core';
import { describe, expect, it } from 'vitest';
import { parseOffsetText, skewedClock } from './skewed-clock.js';

const fixedBase = (t: number): Clock => ({ now: () => t, setTimer: () => () => undefined });

describe('skewedClock', () => {
  it('adds a fixed offset, negative too', () => {
    expect(skewedClock(fixedBase(10_000), { offsetMs: 2500 }).now()).toBe(12_500);
    expect(skewedClock(fixedBase(10_000), { offsetMs: -4000 }).now()).toBe(6000);
  });

  it('re-reads the offset file at most once per interval and keeps the last value when it is unreadable', () => {
    let mono = 0;
    let text: string | Error = '1000';
    let reads = 0;
    const clock = skewedClock(fixedBase(50_000), {
      offsetMs: 5,
      offsetFile: '/x',
      rereadMs: 100,
      monotonicMs: () => mono,
      readText: () => {
        reads++;
        if (text instanceof Error) throw text;
        return text;
      },
    });
    expect(clock.now()).toBe(51_005);
    text = '-3000\n';
    mono = 50;
    expect(clock.now()).toBe(51_005); // not re-read yet
    expect(reads).toBe(1);
    mono = 100;
    expect(clock.now()).toBe(47_005);
    text = new Error('ENOENT');
    mono = 250;
    expect(clock.now()).toBe(47_005);
    text = 'garbage';
    mono = 400;
    expect(clock.now()).toBe(47_005);
    expect(reads).toBe(4);
  });

  it('parses only whole milliseconds', () => {
    expect(parseOffsetText(' +1500\n')).toBe(1500);
    expect(parseOffsetText('-7')).toBe(-7);
    expect(parseOffsetText('1.5')).toBeUndefined();
    expect(parseOffsetText('')).toBeUndefined();
  });
});
