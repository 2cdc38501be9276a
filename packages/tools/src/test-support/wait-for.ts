export interface WaitForOptions {
  /** give up after this long (default 10 s) */
  readonly timeoutMs?: number;
  /** pause between two attempts (default 100 ms) */
  readonly intervalMs?: number;
  /** what is awaited, for the failure message */
  readonly what: string;
}

/**
 * Polls `fn` until it returns something other than undefined/false (that
 * value is returned) or the deadline passes. A throwing attempt counts as
 * "not yet"; the last result or error is put in the timeout message, so a
 * failure says what was last seen instead of just "timed out".
 */
export async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, options: WaitForOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt finished';
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value;
      last = `last result: ${String(value)}`;
    } catch (err) {
      last = `last error: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what} (${last})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
