import { readFileSync } from 'node:fs';
import type { Clock } from '@ringkv/core';

/**
 * TEST ONLY: a Clock whose `now()` is the base clock shifted by an offset, so
 * a chaos run can give real node processes skewed clocks and make them jump
 * (`--clock-offset-ms`, `--clock-offset-file`). Timers are not shifted: a
 * wall-clock step does not make a pending setTimeout fire early or late either.
 *
 * Why a file re-read at runtime rather than a restart with a new offset: an NTP
 * step hits a process that is running, with its failure-detector history,
 * pending timeouts and open transfers; a restart would test a crash instead.
 * The file is read at most once per `rereadMs` (monotonic time decides), so
 * `now()` stays cheap and synchronous; a missing or unreadable file keeps the
 * offset last read (a chaos writer replacing the file must not flap it to 0).
 */
export interface SkewOptions {
  /** fixed offset added to every reading (ms, may be negative) */
  readonly offsetMs?: number;
  /** a file holding one integer: more offset in ms, re-read while running */
  readonly offsetFile?: string;
  readonly rereadMs?: number;
  /** for tests: the file reader and the monotonic time that paces it */
  readonly readText?: (path: string) => string;
  readonly monotonicMs?: () => number;
}

/** The offset a file's text gives, or undefined when it is not one integer of milliseconds. */
export function parseOffsetText(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?[0-9]{1,12}$/.test(t)) return undefined;
  return Number(t);
}

export function skewedClock(base: Clock, o: SkewOptions): Clock {
  const fixed = o.offsetMs ?? 0;
  const file = o.offsetFile;
  if (file === undefined) return fixed === 0 ? base : { now: () => base.now() + fixed, setTimer: (ms, fn) => base.setTimer(ms, fn) };
  const rereadMs = o.rereadMs ?? 100;
  const readText = o.readText ?? ((path: string) => readFileSync(path, 'utf8'));
  const monotonic = o.monotonicMs ?? (() => performance.now());
  let fromFile = 0;
  let readAt = -Infinity;
  const fileOffset = (): number => {
    const t = monotonic();
    if (t - readAt < rereadMs) return fromFile;
    readAt = t;
    try {
      fromFile = parseOffsetText(readText(file)) ?? fromFile;
    } catch {
      // Missing for now (not written yet, or being replaced): keep the last value.
    }
    return fromFile;
  };
  return {
    now: () => base.now() + fixed + fileOffset(),
    setTimer: (ms, fn) => base.setTimer(ms, fn),
  };
}
