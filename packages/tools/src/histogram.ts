/**
 * A latency histogram in the manner of HdrHistogram: microsecond values, exact
 * below 2048 µs, then 1024 linear sub-buckets per power of two, so every
 * recorded value is kept to within 0.1% (three significant digits) at a fixed
 * cost of one array of ~22k counters, whatever the number of samples.
 * Recording is O(1) and allocation-free (it runs once per benchmark request).
 */

const subBucketCount = 1024;
const exactBelow = 2 * subBucketCount;
/** 2^31 µs ≈ 36 minutes: slower requests are clamped (and still counted). */
const valueMaxUs = 2 ** 31 - 1;
const bucketCount = exactBelow + (31 - 11) * subBucketCount;

/** Index of the bucket holding `us` (an integer in [0, valueMaxUs]). */
export function bucketOf(us: number): number {
  if (us < exactBelow) return us;
  const shift = 31 - Math.clz32(us) - 10; // ≥ 1 here
  return exactBelow + (shift - 1) * subBucketCount + ((us >>> shift) - subBucketCount);
}

/** The largest value that lands in bucket `index` (what a percentile reports, as HdrHistogram does). */
export function bucketTop(index: number): number {
  if (index < exactBelow) return index;
  const shift = Math.floor((index - exactBelow) / subBucketCount) + 1;
  const sub = ((index - exactBelow) % subBucketCount) + subBucketCount;
  // Multiplication, not <<: the top bucket's bound is 2^31, past int32.
  return (sub + 1) * 2 ** shift - 1;
}

export class Histogram {
  readonly #counts = new Float64Array(bucketCount);
  #count = 0;
  #sumUs = 0;
  #maxUs = 0;

  /** Records one latency in milliseconds (fractions welcome). */
  recordMs(ms: number): void {
    const us = Math.min(valueMaxUs, Math.max(0, Math.round(ms * 1000)));
    this.#counts[bucketOf(us)]! += 1;
    this.#count++;
    this.#sumUs += us;
    if (us > this.#maxUs) this.#maxUs = us;
  }

  get count(): number {
    return this.#count;
  }

  get maxMs(): number {
    return this.#maxUs / 1000;
  }

  get meanMs(): number {
    return this.#count === 0 ? 0 : this.#sumUs / this.#count / 1000;
  }

  /** The latency (ms) that `percent` % of the recorded values do not exceed; 0 when empty. */
  percentileMs(percent: number): number {
    if (this.#count === 0) return 0;
    // The epsilon keeps 99.9% of 1000 at rank 999: floating point makes it 999.0000000000001.
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, percent)) / 100) * this.#count - 1e-9));
    let seen = 0;
    for (let i = 0; i < bucketCount; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(bucketTop(i), this.#maxUs) / 1000;
    }
    return this.#maxUs / 1000;
  }

  /** Adds every value of `other` to this one (the ALL row of a workload). */
  add(other: Histogram): void {
    for (let i = 0; i < bucketCount; i++) this.#counts[i]! += other.#counts[i]!;
    this.#count += other.#count;
    this.#sumUs += other.#sumUs;
    if (other.#maxUs > this.#maxUs) this.#maxUs = other.#maxUs;
  }
}
