import type { Random } from '@ringkv/core';

/** YCSB's skew: item 0 is drawn ~1/ζ(n) of the time, item k ~ 1/(k+1)^0.99 relative to it. */
export const ZIPFIAN_THETA = 0.99;

/** ζ(n, θ) = Σ_{i=1..n} 1/i^θ, continued from ζ(from, θ) = `sum` (the generator grows with inserts). */
export function zeta(from: number, to: number, theta: number, sum = 0): number {
  let z = sum;
  for (let i = from + 1; i <= to; i++) z += 1 / Math.pow(i, theta);
  return z;
}

/**
 * The Zipfian generator of YCSB (Gray et al., "Quickly generating billion-record
 * synthetic databases", SIGMOD 1994): draws an item in [0, itemCount) in O(1)
 * after an O(n) ζ(n). Item 0 is the most popular, item 1 the next, and so on.
 *
 * The item count may grow between draws (workload D inserts keys); ζ is then
 * extended incrementally instead of recomputed, as YCSB does. Keys are not
 * scrambled as in YCSB's ScrambledZipfianGenerator: ringkv, Redis Cluster and
 * etcd all spread adjacent keys (hashing or a B-tree), so the order of hot
 * keys in the key space does not matter to them.
 */
export class Zipfian {
  readonly #theta: number;
  readonly #alpha: number;
  readonly #zeta2: number;
  #count: number;
  #zetaN: number;
  #eta: number;

  constructor(itemCount: number, theta = ZIPFIAN_THETA) {
    if (!Number.isInteger(itemCount) || itemCount < 1) throw new RangeError(`Zipfian needs at least one item, got ${itemCount}`);
    if (!(theta > 0 && theta < 1)) throw new RangeError(`Zipfian theta must be in (0, 1), got ${theta}`);
    this.#theta = theta;
    this.#alpha = 1 / (1 - theta);
    this.#zeta2 = zeta(0, 2, theta);
    this.#count = itemCount;
    this.#zetaN = zeta(0, itemCount, theta);
    this.#eta = this.#etaFor(itemCount);
  }

  get itemCount(): number {
    return this.#count;
  }

  /** An item in [0, itemCount); `itemCount` defaults to the one the generator was built for. */
  next(random: Random, itemCount: number = this.#count): number {
    if (itemCount !== this.#count) this.#resize(itemCount);
    const u = random.next();
    const uz = u * this.#zetaN;
    if (uz < 1) return 0;
    if (uz < 1 + Math.pow(0.5, this.#theta)) return Math.min(1, itemCount - 1);
    const item = Math.floor(itemCount * Math.pow(this.#eta * u - this.#eta + 1, this.#alpha));
    // Floating point can land exactly on itemCount for u close to 1.
    return Math.min(item, itemCount - 1);
  }

  #resize(itemCount: number): void {
    if (!Number.isInteger(itemCount) || itemCount < 1) throw new RangeError(`Zipfian needs at least one item, got ${itemCount}`);
    this.#zetaN = itemCount > this.#count ? zeta(this.#count, itemCount, this.#theta, this.#zetaN) : zeta(0, itemCount, this.#theta);
    this.#count = itemCount;
    this.#eta = this.#etaFor(itemCount);
  }

  #etaFor(n: number): number {
    // n = 1 or 2 makes eta 0/0; every draw then returns from the two shortcuts above anyway.
    if (n <= 2) return 0;
    return (1 - Math.pow(2 / n, 1 - this.#theta)) / (1 - this.#zeta2 / this.#zetaN);
  }
}

/**
 * YCSB's SkewedLatestGenerator (workload D): the newest item is the most
 * popular, then the one before it, Zipfian-distributed by age.
 */
export class SkewedLatest {
  readonly #zipfian: Zipfian;

  constructor(itemCount: number, theta = ZIPFIAN_THETA) {
    this.#zipfian = new Zipfian(itemCount, theta);
  }

  /** An item in [0, itemCount), most likely itemCount − 1. */
  next(random: Random, itemCount: number): number {
    return itemCount - 1 - this.#zipfian.next(random, itemCount);
  }
}
