import type { Registry } from 'prom-client';

/**
 * The node's request-latency histogram, key operations only (GET/PUT/DELETE
 * on /kv/), summed over operations, as cumulative counts since start. The
 * console takes the difference of two samples to get the rate and the
 * percentiles of the window between them (see static/console/latency-window.js),
 * so this stays cheap and stateless on the node.
 */
export interface LatencyHistogram {
  /** upper bounds of the buckets, in seconds, ascending; the last bucket (+Inf) is implied */
  readonly boundsSeconds: readonly number[];
  /** cumulative: cumulative[i] requests took ≤ boundsSeconds[i]; one more entry for +Inf (= count) */
  readonly cumulative: readonly number[];
  readonly count: number;
  readonly sumSeconds: number;
}

const histogramName = 'ringkv_http_request_duration_seconds';
/** console polling, /status, /metrics are 'other': they would drown the key traffic in a quiet cluster */
const keyOps: ReadonlySet<string> = new Set(['get', 'put', 'delete']);

interface MetricValue {
  readonly value: number;
  readonly metricName?: string;
  readonly labels: Readonly<Record<string, string | number>>;
}

/** Sums the per-operation series of a prom-client histogram's values into one histogram. */
export function sumHistogram(values: readonly MetricValue[], ops: ReadonlySet<string> = keyOps): LatencyHistogram {
  const byBound = new Map<number, number>();
  let count = 0;
  let sumSeconds = 0;
  for (const v of values) {
    if (!ops.has(String(v.labels.op))) continue;
    if (v.metricName?.endsWith('_bucket') === true) {
      const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
      byBound.set(le, (byBound.get(le) ?? 0) + v.value);
    } else if (v.metricName?.endsWith('_count') === true) {
      count += v.value;
    } else if (v.metricName?.endsWith('_sum') === true) {
      sumSeconds += v.value;
    }
  }
  const bounds = [...byBound.keys()].filter((b) => Number.isFinite(b)).sort((a, b) => a - b);
  return {
    boundsSeconds: bounds,
    cumulative: [...bounds.map((b) => byBound.get(b) ?? 0), count],
    count,
    sumSeconds,
  };
}

/** This node's key-request histogram, read from its metrics registry. */
export async function readLatencyHistogram(registry: Registry): Promise<LatencyHistogram> {
  const metric = registry.getSingleMetric(histogramName);
  if (metric === undefined) throw new Error(`metric ${histogramName} is not registered`);
  const { values } = await metric.get();
  return sumHistogram(values as readonly MetricValue[]);
}
