/**
 * An ordered map from byte-string keys to byte-string values, kept as two
 * parallel sorted arrays searched by bisection. Inserts cost a memmove, which
 * is cheap at the sizes the simulator uses and keeps the code obviously right.
 *
 * Snapshots are copy-on-write: taking one is O(1), and the next mutation
 * copies the arrays so the snapshot never changes underneath its reader.
 * The map stores the arrays it is given; copying bytes is the caller's job.
 */
import { compareBytes } from './bytes.js';

export interface SortedBytesView {
  readonly keys: readonly Uint8Array[];
  readonly values: readonly Uint8Array[];
}

export class SortedBytesMap {
  #keys: Uint8Array[] = [];
  #values: Uint8Array[] = [];
  #shared = false;

  get size(): number {
    return this.#keys.length;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const i = lowerBound(this.#keys, key);
    const found = this.#keys[i];
    return found !== undefined && compareBytes(found, key) === 0 ? this.#values[i] : undefined;
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.#own();
    const i = lowerBound(this.#keys, key);
    const found = this.#keys[i];
    if (found !== undefined && compareBytes(found, key) === 0) {
      this.#values[i] = value;
    } else {
      this.#keys.splice(i, 0, key);
      this.#values.splice(i, 0, value);
    }
  }

  delete(key: Uint8Array): void {
    const i = lowerBound(this.#keys, key);
    const found = this.#keys[i];
    if (found === undefined || compareBytes(found, key) !== 0) return;
    this.#own();
    this.#keys.splice(i, 1);
    this.#values.splice(i, 1);
  }

  /** A view that later mutations of this map do not change. */
  snapshot(): SortedBytesView {
    this.#shared = true;
    return { keys: this.#keys, values: this.#values };
  }

  /** An independent map with the same entries (bytes are shared, not copied). */
  clone(): SortedBytesMap {
    const copy = new SortedBytesMap();
    copy.#keys = this.#keys.slice();
    copy.#values = this.#values.slice();
    return copy;
  }

  #own(): void {
    if (!this.#shared) return;
    this.#keys = this.#keys.slice();
    this.#values = this.#values.slice();
    this.#shared = false;
  }
}

/** The index of the first key >= `key` (keys.length if none). */
export function lowerBound(keys: readonly Uint8Array[], key: Uint8Array): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(keys[mid] as Uint8Array, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
