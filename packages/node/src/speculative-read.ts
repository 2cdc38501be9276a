/**
 * A speculative retry (Cassandra's speculative_retry): ask one replica; when
 * it fails, or has not answered within `speculativeReadMs`, also ask a spare;
 * the first answer wins. One slow or not-yet-suspected node then costs a read
 * that delay, not half the request timeout.
 */
import type { Clock } from '@ringkv/core';

/** How long a read slot waits for its replica before also asking a spare one. */
export const speculativeReadMs = 150;

/**
 * Runs `first`; `spare(remainingMs)` starts the next spare attempt, or
 * answers undefined when none is left. Resolves with the first success;
 * rejects with the last error once every attempt failed and no spare is left.
 */
export function withSpares<T>(clock: Clock, timeoutMs: number, first: () => Promise<T>, spare: (remainingMs: number) => Promise<T> | undefined): Promise<T> {
  const started = clock.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    let running = 1;
    let lastError: unknown;
    const win = (value: T): void => {
      if (settled) return;
      settled = true;
      cancelTimer();
      resolve(value);
    };
    const lose = (err: unknown): void => {
      lastError = err;
      running--;
      if (!askSpare() && running === 0 && !settled) {
        settled = true;
        reject(lastError);
      }
    };
    const askSpare = (): boolean => {
      const remaining = timeoutMs - (clock.now() - started);
      const attempt = settled || remaining <= 0 ? undefined : spare(remaining);
      if (attempt === undefined) return false;
      running++;
      attempt.then(win, lose);
      return true;
    };
    const cancelTimer = clock.setTimer(Math.min(speculativeReadMs, Math.floor(timeoutMs / 2)), () => void askSpare());
    first().then(win, lose);
  });
}
