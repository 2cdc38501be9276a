import type { Clock } from '@ringkv/core';
import type { Scheduler } from './scheduler.js';

/** From simulated time `from` on, the process's clock reads `scheduler.now + offsetMs`. */
interface ClockSegment {
  readonly from: number;
  readonly offsetMs: number;
}

/**
 * One life of one simulated node process. When it crashes, every timer,
 * message and disk completion addressed to it is silently dropped, like a
 * killed process; a restart is a new SimProcess.
 */
export class SimProcess {
  alive = true;
  /** stopped (SIGSTOP, a long GC pause, a stuck VM): what falls due waits for resume() */
  private pausedSince: number | undefined;
  /** what fell due while paused: I/O (messages, disk completions, client requests) and timers, each in due order */
  private held: { io: (() => void)[]; timers: (() => void)[] } = { io: [], timers: [] };
  /** every offset this process's clock has had, oldest first (so the checker can tell what it read when) */
  private readonly segments: ClockSegment[];
  private diedAt: number | undefined;

  constructor(
    readonly nodeId: string,
    readonly incarnation: number,
    private readonly scheduler: Scheduler,
  ) {
    this.segments = [{ from: scheduler.now, offsetMs: 0 }];
  }

  /** this process's clock error in ms (clock skew and jumps) */
  get offsetMs(): number {
    return this.segments[this.segments.length - 1]?.offsetMs ?? 0;
  }

  /** how many times the clock has jumped so far */
  get jumps(): number {
    return this.segments.length - 1;
  }

  /** The clock jumps by `deltaMs` (either way) from now on. */
  jumpClock(deltaMs: number): void {
    this.segments.push({ from: this.scheduler.now, offsetMs: this.offsetMs + deltaMs });
  }

  /** The process is killed (or stopped): nothing addressed to it runs any more. */
  die(): void {
    this.alive = false;
    this.held = { io: [], timers: [] };
    this.diedAt ??= this.scheduler.now;
  }

  /**
   * The highest reading this clock gave while the process lived, up to
   * simulated time `t` (-Infinity if it had not started). A TTL'd version
   * may have been judged expired — and purged — by this process from the
   * moment that reading passed its deadline.
   */
  clockPeakBy(t: number): number {
    let peak = -Infinity;
    const end = Math.min(t, this.diedAt ?? Infinity);
    this.segments.forEach((s, i) => {
      const until = Math.min(end, this.segments[i + 1]?.from ?? Infinity);
      if (until >= s.from) peak = Math.max(peak, until + s.offsetMs);
    });
    return peak;
  }

  get paused(): boolean {
    return this.pausedSince !== undefined;
  }

  /**
   * The process stops running: its timers, the messages that reach it and
   * its disk completions wait until resume(). Its clock goes on, so on
   * waking it finds its timers late, as after SIGSTOP.
   */
  pause(): void {
    this.pausedSince ??= this.scheduler.now;
  }

  /**
   * Runs what was held: first the I/O that waited, then the late timers, as
   * a real node does — libuv runs due timers before it polls, but the node's
   * clock defers a late timer behind the waiting I/O (node/io-first-timer.ts).
   */
  resume(): void {
    if (this.pausedSince === undefined) return;
    this.pausedSince = undefined;
    const { io, timers } = this.held;
    this.held = { io: [], timers: [] };
    for (const fn of [...io, ...timers]) this.scheduler.schedule(0, () => this.run(fn));
  }

  /** Runs `fn` now, or when the process resumes if it is paused (never if it dies first). */
  run(fn: () => void, kind: 'io' | 'timer' = 'io'): void {
    if (!this.alive) return;
    if (this.pausedSince === undefined) fn();
    else if (kind === 'io') this.held.io.push(fn);
    else this.held.timers.push(fn);
  }

  /** Schedules `fn` unless the process died by then (held while it is paused; `kind` says where it waits). */
  after(ms: number, fn: () => void, kind: 'io' | 'timer' = 'io'): () => void {
    let cancelled = false;
    const cancel = this.scheduler.schedule(ms, () => this.run(() => cancelled || fn(), kind));
    return () => {
      // a timer cancelled while it waits for the process to resume never runs, as with clearTimeout
      cancelled = true;
      cancel();
    };
  }

  readonly clock: Clock = {
    now: () => this.scheduler.now + this.offsetMs,
    setTimer: (ms, fn) => this.after(ms, fn, 'timer'),
  };
}
