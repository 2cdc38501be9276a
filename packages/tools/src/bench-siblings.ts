/**
 * How many values (siblings) ringkv's keys held during a workload, from the
 * nodes' `ringkv_kv_siblings` histogram: its sum and count per operation,
 * summed over every node, read before the warm-up and after the measured run. A sibling-
 * heavy key costs every later write of it, so the report says how many there
 * were next to the throughput they explain.
 */

import { fetchMetricsPage, metricValue } from './metrics-page.js';

/** Sum and count of one op's ringkv_kv_siblings observations. */
export interface SiblingTally {
  readonly sum: number;
  readonly count: number;
}

export interface SiblingCounts {
  readonly get: SiblingTally;
  readonly put: SiblingTally;
}

/** Mean values per key after each GET / PUT of one workload run; absent when there was none. */
export interface SiblingsPerOp {
  readonly get?: number;
  readonly put?: number;
}

const noTally: SiblingTally = { sum: 0, count: 0 };

/** The `_sum` and `_count` series of ringkv_kv_siblings in a /metrics text (zero when absent). */
export function parseSiblingCounts(metrics: string): SiblingCounts {
  const value = (series: string): number => metricValue(metrics, series) ?? 0;
  const tally = (op: string): SiblingTally => ({ sum: value(`ringkv_kv_siblings_sum{op="${op}"}`), count: value(`ringkv_kv_siblings_count{op="${op}"}`) });
  return { get: tally('get'), put: tally('put') };
}

/** Every node's counts added up; a node that does not answer counts as none (the report then says less). */
export async function scrapeSiblingCounts(urls: readonly string[]): Promise<SiblingCounts> {
  const each = await Promise.all(
    urls.map(async (url) => {
      const page = await fetchMetricsPage(url, 5000);
      return page === undefined ? { get: noTally, put: noTally } : parseSiblingCounts(page);
    }),
  );
  const add = (a: SiblingTally, b: SiblingTally): SiblingTally => ({ sum: a.sum + b.sum, count: a.count + b.count });
  return each.reduce((a, b) => ({ get: add(a.get, b.get), put: add(a.put, b.put) }), { get: noTally, put: noTally });
}

/** The mean per op between two scrapes. */
export function siblingsBetween(before: SiblingCounts, after: SiblingCounts): SiblingsPerOp {
  const mean = (op: 'get' | 'put'): number | undefined => {
    const count = after[op].count - before[op].count;
    return count > 0 ? (after[op].sum - before[op].sum) / count : undefined;
  };
  const get = mean('get');
  const put = mean('put');
  return { ...(get !== undefined && { get }), ...(put !== undefined && { put }) };
}
