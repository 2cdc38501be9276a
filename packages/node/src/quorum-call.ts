import type { Clock } from '@ringkv/core';
import { setRunningTimeout } from './running-timeout.js';

/** One replica's answer as the quorum counts it. */
export interface Answer<T> {
  readonly value: T;
  /** answered by a primary itself (counts toward pr/pw), not by a fallback standing in for it */
  readonly primary: boolean;
}

export interface QuorumCallResult<T> {
  /** 'met' when enough replicas answered successfully, else why not */
  readonly outcome: 'met' | 'failed' | 'timeout';
  readonly answers: ReadonlyMap<string, Answer<T>>;
  readonly failures: ReadonlyMap<string, string>;
  /** successful answers from primaries */
  readonly primaryCount: number;
  /** resolves when every target answered or the deadline passed (read repair waits for it) */
  readonly settled: Promise<void>;
}

export interface QuorumCallOptions<T> {
  /** one slot per replica position: the call may be answered by a stand-in */
  readonly targets: readonly string[];
  /** successful answers needed */
  readonly needed: number;
  /** of which answered by primaries themselves */
  readonly primaryNeeded: number;
  /** positions whose target is a primary (a fallback slot can never count as primary) */
  readonly primaryTargets: ReadonlySet<string>;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly call: (target: string, timeoutMs: number) => Promise<Answer<T>>;
}

/**
 * Asks every target at once and resolves as soon as the quorum is met,
 * became impossible, or the deadline passed; the remaining calls keep running
 * in the background and are observable through `settled`.
 */
export function callQuorum<T>(opts: QuorumCallOptions<T>): Promise<QuorumCallResult<T>> {
  const answers = new Map<string, Answer<T>>();
  const failures = new Map<string, string>();
  let primaryCount = 0;
  let settle!: () => void;
  const settled = new Promise<void>((r) => (settle = r));
  return new Promise((resolve) => {
    let finished = false;
    const finish = (outcome: 'met' | 'failed' | 'timeout'): void => {
      if (finished) return;
      finished = true;
      resolve({ outcome, answers, failures, primaryCount, settled });
    };
    const cancelTimer = setRunningTimeout(opts.clock, opts.timeoutMs, () => {
      settle();
      finish('timeout');
    });
    const check = (): void => {
      const answered = answers.size + failures.size;
      if (answered >= opts.targets.length) {
        cancelTimer();
        settle();
      }
      const outstanding = opts.targets.filter((t) => !answers.has(t) && !failures.has(t));
      const outstandingPrimaries = outstanding.filter((t) => opts.primaryTargets.has(t)).length;
      if (answers.size >= opts.needed && primaryCount >= opts.primaryNeeded) finish('met');
      else if (answers.size + outstanding.length < opts.needed || primaryCount + outstandingPrimaries < opts.primaryNeeded) {
        finish('failed');
      }
    };
    check();
    for (const target of opts.targets) {
      opts.call(target, opts.timeoutMs).then(
        (answer) => {
          if (answers.has(target) || failures.has(target)) return;
          answers.set(target, answer);
          if (answer.primary) primaryCount++;
          check();
        },
        (err: unknown) => {
          if (answers.has(target) || failures.has(target)) return;
          failures.set(target, err instanceof Error ? err.message : String(err));
          check();
        },
      );
    }
  });
}
