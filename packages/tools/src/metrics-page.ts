/** Reading a ringkv node's GET /metrics (Prometheus text format) from the tools. */

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * One sample of a Prometheus text page; undefined when absent. `series` is a
 * metric name, matching its first sample whatever its labels, or a name with
 * its exact label set as the page prints it (`ringkv_kv_siblings_sum{op="get"}`).
 */
export function metricValue(page: string, series: string): number | undefined {
  const labels = series.includes('{') ? '' : '(?:\\{[^}]*\\})?';
  const m = new RegExp(`^${escapeRegExp(series)}${labels} (\\S+)$`, 'm').exec(page);
  const v = m === null ? NaN : Number(m[1]);
  return Number.isFinite(v) ? v : undefined;
}

/** GET /metrics of one node; undefined when it does not answer 200 in time. */
export async function fetchMetricsPage(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) return undefined;
    return await res.text();
  } catch {
    return undefined;
  }
}
