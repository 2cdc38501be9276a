/**
 * An in-memory `Store` for tests and the simulator, with a model of what a
 * real LevelDB directory would still hold after a failure:
 *
 * - `reopen()` is a process restart (clean or kill -9): every completed write
 *   reached the OS, so all of it survives.
 * - `crash()` is a machine crash: only durable writes survive, i.e. batches
 *   written with `sync` (and everything before them, since LevelDB's log is
 *   sequential and one fsync covers all earlier records) or made durable by
 *   `flush()`. `keepUnsyncedBatches: k` keeps the oldest k unsynced batches,
 *   as when the OS wrote back part of its page cache before dying.
 *
 * Everything is deterministic: no timers, no randomness; the caller (a seeded
 * simulator) chooses what a crash loses.
 */
import type { Store, StoreOp, StoreRange } from '@ringkv/core';
import { compareBytes, copyBytes } from './bytes.js';
import { StoreClosedError } from './errors.js';
import { lowerBound, SortedBytesMap } from './sorted-bytes-map.js';
import { checkKey, checkOps, checkRange } from './store-input.js';

export interface CrashOptions {
  /** How many of the oldest unsynced batches survive (default 0: all are lost). */
  readonly keepUnsyncedBatches?: number;
}

export class MemoryStore implements Store {
  /** What reads see. */
  #live: SortedBytesMap;
  /** What a machine crash would leave. */
  #durable: SortedBytesMap;
  /** Batches applied to `#live` but not yet to `#durable`, oldest first. */
  #unsynced: StoreOp[][];
  #closed = false;
  /** Set once `crash()` or `reopen()` handed the data to a successor. */
  #superseded = false;

  constructor() {
    this.#live = new SortedBytesMap();
    this.#durable = new SortedBytesMap();
    this.#unsynced = [];
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    checkKey(key, 'get');
    this.#assertUsable('get');
    const value = this.#live.get(key);
    return value === undefined ? undefined : copyBytes(value);
  }

  async write(ops: readonly StoreOp[], options: { readonly sync?: boolean } = {}): Promise<void> {
    checkOps(ops);
    this.#assertUsable('write');
    // Own copies: the caller may reuse its buffers the moment `write` returns.
    const batch = ops.map(copyOp);
    for (const op of batch) apply(this.#live, op);
    if (batch.length > 0) this.#unsynced.push(batch);
    if (options.sync === true) this.flush();
  }

  async *iterate(range: StoreRange): AsyncGenerator<readonly [Uint8Array, Uint8Array]> {
    checkRange(range);
    this.#assertUsable('iterate');
    // Like a LevelDB iterator, read from a snapshot taken at the first next().
    const { keys, values } = this.#live.snapshot();
    const limit = range.limit ?? Infinity;
    let i = range.gte === undefined ? 0 : lowerBound(keys, range.gte);
    for (let n = 0; n < limit && i < keys.length; n++, i++) {
      const key = keys[i] as Uint8Array;
      if (range.lt !== undefined && compareBytes(key, range.lt) >= 0) return;
      yield [copyBytes(key), copyBytes(values[i] as Uint8Array)];
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Makes every write so far durable, as an fsync of the log would. */
  flush(): void {
    for (const batch of this.#unsynced) for (const op of batch) apply(this.#durable, op);
    this.#unsynced = [];
  }

  /** Batches a machine crash could lose right now; `crash()` may keep a prefix of them. */
  get unsyncedBatchCount(): number {
    return this.#unsynced.length;
  }

  /**
   * Flips one bit of one stored value within `range`, in what reads see and in
   * what a crash would leave alike — bit rot in a table file (the simulator's
   * corruption fault). `choose(n)` picks the entry (0..n-1) and the bit
   * (0..8×length-1). Returns the key damaged, or undefined when the range is empty.
   */
  damage(range: StoreRange, choose: (n: number) => number): Uint8Array | undefined {
    checkRange(range);
    this.#assertUsable('damage');
    const { keys } = this.#live.snapshot();
    const from = range.gte === undefined ? 0 : lowerBound(keys, range.gte);
    const to = range.lt === undefined ? keys.length : lowerBound(keys, range.lt);
    if (to <= from) return undefined;
    const key = keys[from + choose(to - from)] as Uint8Array;
    const value = this.#live.get(key) as Uint8Array;
    if (value.length === 0) return undefined;
    const bit = choose(value.length * 8);
    for (const map of [this.#live, this.#durable]) {
      const held = map.get(key);
      if (held === undefined || held.length * 8 <= bit) continue;
      const flipped = copyBytes(held);
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
      map.set(key, flipped);
    }
    return copyBytes(key);
  }

  /** Entries held, for assertions in tests. */
  get size(): number {
    return this.#live.size;
  }

  /**
   * Simulates a machine crash and restart: returns the store a restarted
   * node would find. This instance is dead afterwards (every call throws), so
   * a simulated node that keeps writing after its crash fails loudly.
   */
  crash(options: CrashOptions = {}): MemoryStore {
    const keep = options.keepUnsyncedBatches ?? 0;
    if (!Number.isInteger(keep) || keep < 0 || keep > this.#unsynced.length) {
      throw new RangeError(
        `crash: keepUnsyncedBatches must be an integer in [0, ${this.#unsynced.length}], got ${keep}`,
      );
    }
    this.#supersede('crash');
    const state = this.#durable.clone();
    for (const batch of this.#unsynced.slice(0, keep)) for (const op of batch) apply(state, op);
    // What the restarted machine finds was on disk, so it is all durable.
    return MemoryStore.#from(state, state.clone(), []);
  }

  /**
   * Simulates a process restart (clean or kill -9) with the machine up: all
   * writes survive, and those not yet durable are still at risk of a later
   * machine crash. This instance is dead afterwards.
   */
  reopen(): MemoryStore {
    this.#supersede('reopen');
    return MemoryStore.#from(this.#live.clone(), this.#durable.clone(), [...this.#unsynced]);
  }

  static #from(live: SortedBytesMap, durable: SortedBytesMap, unsynced: StoreOp[][]): MemoryStore {
    const store = new MemoryStore();
    store.#live = live;
    store.#durable = durable;
    store.#unsynced = unsynced;
    return store;
  }

  #supersede(what: string): void {
    if (this.#superseded) throw new StoreClosedError(`MemoryStore.${what}: already crashed or reopened`);
    this.#superseded = true;
    this.#closed = true;
  }

  #assertUsable(what: string): void {
    if (this.#closed) throw new StoreClosedError(`MemoryStore.${what}`);
  }
}

function copyOp(op: StoreOp): StoreOp {
  return op.type === 'put'
    ? { type: 'put', key: copyBytes(op.key), value: copyBytes(op.value) }
    : { type: 'del', key: copyBytes(op.key) };
}

function apply(map: SortedBytesMap, op: StoreOp): void {
  if (op.type === 'put') map.set(op.key, op.value);
  else map.delete(op.key);
}
