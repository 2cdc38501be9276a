import type { Clock } from '@ringkv/core';
import type { Scheduler } from './scheduler.js';

/**
 * One life of one simulated node process. When it crashes, every timer,
 * message and disk completion addressed to it is silently dropped, like a
 * killed process; a restart is a new SimProcess.
 */
export class SimProcess {
  alive = true;
  /** this process's clock error in ms (clock skew and jumps) */
  offsetMs = 0;

  constructor(
    readonly nodeId: string,
    readonly incarnation: number,
    private readonly scheduler: Scheduler,
  ) {}

  /** Schedules `fn` unless the process died by then. */
  after(ms: number, fn: () => void): () => void {
    return this.scheduler.schedule(ms, () => {
      if (this.alive) fn();
    });
  }

  readonly clock: Clock = {
    now: () => this.scheduler.now + this.offsetMs,
    setTimer: (ms, fn) => this.after(ms, fn),
  };
}
