/**
 * Serialises async critical sections per key: a replica's read-merge-write of
 * one key must not interleave with another for the same key, or one of the
 * two merges would be lost. Different keys run concurrently.
 *
 * A key is in the map while a section for it runs, with the sections waiting
 * behind it in arrival order. The usual case — nobody else on that key — costs
 * one map entry and no promise of its own: every replica write takes this
 * lock, so a promise chain per section showed in write profiles.
 */
export class KeyedMutex {
  private readonly waiting = new Map<string, (() => void)[]>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const queue = this.waiting.get(key);
    if (queue === undefined) this.waiting.set(key, []);
    else await new Promise<void>((resolve) => queue.push(resolve));
    try {
      return await fn();
    } finally {
      // Hand the key straight to the next section in line, or forget it so the map stays small.
      const next = this.waiting.get(key)?.shift();
      if (next === undefined) this.waiting.delete(key);
      else next();
    }
  }

  /** Keys with a section running. */
  get size(): number {
    return this.waiting.size;
  }
}
