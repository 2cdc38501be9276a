import { QuorumTracker, type Clock } from '@ringkv/core';

export interface QuorumCallResult<T> {
  /** 'met' when enough replicas answered successfully, else why not */
  readonly outcome: 'met' | 'failed' | 'timeout';
  readonly tracker: QuorumTracker<T>;
  /** resolves when every target answered or the deadline passed (for read repair) */
  readonly settled: Promise<void>;
}

/**
 * Asks every target at once and resolves as soon as `needed` succeeded, the
 * quorum became impossible, or the deadline passed; the remaining calls keep
 * running in the background and are observable through `settled`.
 */
export function callQuorum<T>(opts: {
  readonly targets: readonly string[];
  readonly needed: number;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly call: (target: string, timeoutMs: number) => Promise<T>;
}): Promise<QuorumCallResult<T>> {
  const tracker = new QuorumTracker<T>(opts.targets, opts.needed);
  return new Promise((resolve) => {
    let answered = false;
    let settle!: () => void;
    const settled = new Promise<void>((r) => (settle = r));
    const cancelTimer = opts.clock.setTimer(opts.timeoutMs, () => {
      settle();
      finish('timeout');
    });
    const finish = (outcome: 'met' | 'failed' | 'timeout'): void => {
      if (answered) return;
      answered = true;
      resolve({ outcome, tracker, settled });
    };
    const check = (): void => {
      if (tracker.complete) {
        cancelTimer();
        settle();
      }
      const o = tracker.outcome;
      if (o !== 'pending') finish(o);
    };
    if (opts.targets.length === 0) {
      check();
      return;
    }
    for (const target of opts.targets) {
      opts.call(target, opts.timeoutMs).then(
        (reply) => {
          tracker.succeed(target, reply);
          check();
        },
        (err: unknown) => {
          tracker.fail(target, err instanceof Error ? err.message : String(err));
          check();
        },
      );
    }
  });
}
