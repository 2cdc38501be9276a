/** One heavy-hitter estimate: the true count lies in [count − error, count]. */
export interface TopKEntry {
  readonly key: string;
  /** estimated weight; never below the true weight */
  readonly count: number;
  /** the most the estimate may overcount by */
  readonly error: number;
}

/**
 * Space-Saving heavy hitters (Metwally, Agrawal, El Abbadi 2005): at most
 * `capacity` counters. A key not tracked takes over the smallest counter and
 * inherits its count as its error, so every key whose true weight exceeds
 * total/capacity is always tracked, each count overestimates by at most its error.
 * Pure and in-memory; eviction scans the counters (fine for the small
 * capacities a hot-keys sketch uses).
 */
export class TopK {
  private readonly counters = new Map<string, { count: number; error: number }>();
  private totalWeight = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer; got ${capacity}`);
  }

  /** Sum of every weight offered so far. */
  get total(): number {
    return this.totalWeight;
  }

  /** Number of keys tracked (≤ capacity). */
  get size(): number {
    return this.counters.size;
  }

  offer(key: string, weight = 1): void {
    if (!(weight > 0) || !Number.isFinite(weight)) throw new RangeError(`weight must be a positive finite number; got ${weight}`);
    this.totalWeight += weight;
    const c = this.counters.get(key);
    if (c !== undefined) {
      c.count += weight;
      return;
    }
    if (this.counters.size < this.capacity) {
      this.counters.set(key, { count: weight, error: 0 });
      return;
    }
    // forEach, not for…of over entries: no [key, value] array per counter on
    // every request for an untracked key (the metrics hook offers each one).
    let minKey = '';
    let min = Infinity;
    this.counters.forEach((v, k) => {
      if (v.count < min) {
        min = v.count;
        minKey = k;
      }
    });
    this.counters.delete(minKey);
    this.counters.set(key, { count: min + weight, error: min });
  }

  /** The `n` largest estimates, by count descending (ties by key). */
  top(n: number = this.capacity): TopKEntry[] {
    return [...this.counters]
      .map(([key, v]) => ({ key, count: v.count, error: v.error }))
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, Math.max(0, n));
  }

  clear(): void {
    this.counters.clear();
    this.totalWeight = 0;
  }
}
