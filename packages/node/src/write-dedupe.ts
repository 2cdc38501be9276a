/**
 * Remembers forwarded writes by request id for a while, so a request that
 * arrives twice (a retry, a duplicated message) is applied once and both
 * deliveries get the same answer. Bounded in time and count.
 */
export class WriteDedupe<T> {
  private readonly entries = new Map<string, { readonly at: number; readonly result: Promise<T> }>();

  constructor(
    private readonly keepMs: number,
    private readonly countMax = 100_000,
  ) {}

  run(id: string, now: number, fn: () => Promise<T>): Promise<T> {
    this.evict(now);
    const seen = this.entries.get(id);
    if (seen !== undefined) return seen.result;
    const result = fn();
    this.entries.set(id, { at: now, result });
    return result;
  }

  private evict(now: number): void {
    for (const [id, e] of this.entries) {
      // Map iteration is insertion order: stop at the first entry still young enough.
      if (now - e.at <= this.keepMs && this.entries.size <= this.countMax) break;
      this.entries.delete(id);
    }
  }
}
