/**
 * Riak's `object.siblings.warning_threshold`: past 25 values a key costs every
 * write of it noticeably (each one rewrites them all on N replicas).
 */
export const siblingWarningThreshold = 25;

const keyDecoder = new TextDecoder();

export interface SiblingHeavyKey {
  readonly key: string;
  /** values (siblings) the key held when last read or written through this node */
  readonly siblings: number;
}

/**
 * The keys seen holding the most siblings, as last seen: which keys are
 * concurrent writers piling versions on. Bounded (`capacity` keys); a key
 * leaves the list once it is seen below the threshold, e.g. after a write with
 * the read's context resolved it. Riak logs such keys; ringkv keeps key names
 * out of its logs, so they are shown in /status, next to the hot keys.
 */
export class SiblingHeavyKeys {
  readonly #keys = new Map<string, number>();

  constructor(
    readonly threshold = siblingWarningThreshold,
    readonly capacity = 10,
  ) {}

  /** `key` (UTF-8) is decoded only when the answer can change the list: not on every request. */
  observe(siblings: number, key: Uint8Array): void {
    if (siblings < this.threshold) {
      if (this.#keys.size > 0) this.#keys.delete(keyDecoder.decode(key));
      return;
    }
    const name = keyDecoder.decode(key);
    if (!this.#keys.has(name) && this.#keys.size >= this.capacity) {
      const [smallest, fewest] = this.#smallest();
      if (siblings <= fewest) return;
      this.#keys.delete(smallest);
    }
    this.#keys.set(name, siblings);
  }

  /** Most siblings first. */
  top(): SiblingHeavyKey[] {
    return [...this.#keys].map(([key, siblings]) => ({ key, siblings })).sort((a, b) => b.siblings - a.siblings || a.key.localeCompare(b.key));
  }

  #smallest(): [string, number] {
    let found: [string, number] = ['', Infinity];
    for (const entry of this.#keys) if (entry[1] < found[1]) found = entry;
    return found;
  }
}
