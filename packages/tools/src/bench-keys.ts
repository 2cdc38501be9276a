import type { Random } from '@ringkv/core';
import type { Workload } from './bench-workloads.js';
import { SkewedLatest, Zipfian } from './zipfian.js';

export type KeyDistribution = 'zipfian' | 'uniform';

/**
 * Keys are numbered 0, 1, 2, …: the load writes 0..records−1, inserts (workload
 * D) take the next numbers. A key may only be read once its insert is
 * acknowledged, or a read would count a 404 that is no fault of the store; as
 * YCSB's AcknowledgedCounterGenerator, `readable` is the length of the prefix
 * of keys that are all acknowledged.
 */
export class KeyCounter {
  #next: number;
  #readable: number;
  /** acknowledged keys at or past #readable, waiting for the ones before them */
  readonly #ackedAhead = new Set<number>();

  constructor(records: number) {
    this.#next = records;
    this.#readable = records;
  }

  /** Keys 0..readable−1 are all written and acknowledged. */
  get readable(): number {
    return this.#readable;
  }

  /** A fresh key for an insert. */
  take(): number {
    return this.#next++;
  }

  /** The insert of `key` was acknowledged. */
  ack(key: number): void {
    if (key < this.#readable) return;
    this.#ackedAhead.add(key);
    while (this.#ackedAhead.delete(this.#readable)) this.#readable++;
  }
}

/** Chooses the key of each read or update of one workload; one per workload run, shared by its clients. */
export class KeyChooser {
  readonly #pick: (random: Random) => number;

  constructor(workload: Workload, distribution: KeyDistribution, readonly counter: KeyCounter) {
    const count = Math.max(1, counter.readable);
    if (workload.keys === 'latest') {
      const latest = new SkewedLatest(count);
      this.#pick = (random) => latest.next(random, Math.max(1, counter.readable));
    } else if (distribution === 'zipfian') {
      const zipfian = new Zipfian(count);
      this.#pick = (random) => zipfian.next(random, Math.max(1, counter.readable));
    } else {
      this.#pick = (random) => random.int(Math.max(1, counter.readable));
    }
  }

  /** A key that exists (loaded, or inserted and acknowledged). */
  existing(random: Random): number {
    return this.#pick(random);
  }
}
