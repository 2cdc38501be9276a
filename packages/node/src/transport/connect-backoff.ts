/**
 * How long requests to a peer fail fast after consecutive failed connection
 * attempts, so that a dead peer costs one connect attempt per backoff period
 * instead of one per request.
 */

export const connectBackoffBaseMs = 100;
export const connectBackoffMaxMs = 1000;

/**
 * Delay after the `failureCount`-th consecutive failed attempt: 100, 200,
 * 400, 800, then capped at 1000 ms. The cap keeps a restarted peer from
 * staying unused for long; 0 failures means no backoff.
 */
export function connectBackoffMs(failureCount: number): number {
  if (failureCount <= 0) return 0;
  // Exponent clamped so huge counts cannot overflow to Infinity.
  const exponent = Math.min(failureCount - 1, 30);
  return Math.min(connectBackoffBaseMs * 2 ** exponent, connectBackoffMaxMs);
}
