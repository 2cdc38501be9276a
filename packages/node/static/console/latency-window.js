// Pure: request rate and latency percentiles of the window between two
// samples of a node's cumulative latency histogram (see the node's
// console-latency.ts). Unit-tested in packages/node/src/console-latency.test.ts.

/**
 * @typedef {{ boundsSeconds: number[], cumulative: number[], count: number, sumSeconds: number }} LatencyHistogram
 * @typedef {{ at: number, latency: LatencyHistogram }} Sample
 * @typedef {{ boundsSeconds: number[], perBucket: number[], count: number, seconds: number }} Window
 */

/**
 * Requests per bucket between two samples of one node, or undefined when they
 * cannot be compared (the node restarted, its buckets changed, no time passed).
 * @param {Sample | undefined} prev
 * @param {Sample} cur
 * @returns {Window | undefined}
 */
export function windowBetween(prev, cur) {
  if (prev === undefined) return undefined;
  const seconds = (cur.at - prev.at) / 1000;
  if (!(seconds > 0) || cur.latency.count < prev.latency.count) return undefined;
  const bounds = cur.latency.boundsSeconds;
  // Before the first key request a histogram has no buckets at all: that is all zeros.
  const before = prev.latency.count === 0 ? bounds.map(() => 0).concat(0) : prev.latency.cumulative;
  if (prev.latency.count !== 0 && !sameBounds(prev.latency.boundsSeconds, bounds)) return undefined;
  const cumulative = cur.latency.count === 0 ? [0] : cur.latency.cumulative;
  const diff = cumulative.map((c, i) => c - (before[i] ?? 0));
  const perBucket = diff.map((d, i) => (i === 0 ? d : d - (diff[i - 1] ?? 0)));
  return { boundsSeconds: cur.latency.count === 0 ? [] : bounds, perBucket, count: cur.latency.count - prev.latency.count, seconds };
}

function sameBounds(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The windows of several nodes over the same poll, as one: counts add up,
 * buckets add up where they match (every node runs the same code, so they do).
 * @param {Window[]} windows
 * @returns {{ opsPerSec: number, window: Window | undefined }}
 */
export function mergeWindows(windows) {
  let opsPerSec = 0;
  let merged;
  for (const w of windows) {
    opsPerSec += w.count / w.seconds;
    if (w.count === 0) continue;
    if (merged === undefined) merged = { ...w, perBucket: [...w.perBucket] };
    else if (sameBounds(merged.boundsSeconds, w.boundsSeconds)) {
      merged.perBucket = merged.perBucket.map((n, i) => n + (w.perBucket[i] ?? 0));
      merged.count += w.count;
    }
  }
  return { opsPerSec, window: merged };
}

/**
 * The q-quantile (0 < q ≤ 1) in milliseconds, interpolated linearly inside its
 * bucket (as Prometheus' histogram_quantile does); null without requests. A
 * quantile in the +Inf bucket is reported as the largest finite bound.
 * @param {Window | undefined} w
 * @param {number} q
 * @returns {number | null}
 */
export function quantileMs(w, q) {
  if (w === undefined || w.count <= 0) return null;
  const rank = q * w.count;
  let seen = 0;
  for (let i = 0; i < w.perBucket.length; i++) {
    const inBucket = w.perBucket[i] ?? 0;
    if (inBucket > 0 && seen + inBucket >= rank) {
      const upper = w.boundsSeconds[i];
      if (upper === undefined) return (w.boundsSeconds.at(-1) ?? 0) * 1000;
      const lower = i === 0 ? 0 : (w.boundsSeconds[i - 1] ?? 0);
      return (lower + (upper - lower) * ((rank - seen) / inBucket)) * 1000;
    }
    seen += inBucket;
  }
  return (w.boundsSeconds.at(-1) ?? 0) * 1000;
}
