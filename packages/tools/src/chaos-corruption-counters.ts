/**
 * What the nodes say they found and repaired of the `corrupt` fault's damage,
 * from their /metrics. The counters live in the process: a restart starts
 * them at 0. So each node's are read just before the fault loop stops it and
 * once more at the end, and the readings are summed: the total covers every
 * process the run started.
 */

import { fetchMetricsPage, metricValue } from './metrics-page.js';

export interface CorruptionCounters {
  /** ringkv_corrupt_records_total: stored records that failed their checksum */
  readonly records: number;
  /** ringkv_corrupt_hints_total: hinted copies that did */
  readonly hints: number;
  /** ringkv_corrupt_keys_repaired_total: damaged copies replaced by what the other replicas hold */
  readonly repaired: number;
}

const zero: CorruptionCounters = { records: 0, hints: 0, repaired: 0 };

/** The three counters of a /metrics page; undefined when the page lacks the record counters (not a ringkv node with checksums). */
export function parseCorruptionCounters(page: string): CorruptionCounters | undefined {
  const records = metricValue(page, 'ringkv_corrupt_records_total');
  const repaired = metricValue(page, 'ringkv_corrupt_keys_repaired_total');
  if (records === undefined || repaired === undefined) return undefined;
  return { records, hints: metricValue(page, 'ringkv_corrupt_hints_total') ?? 0, repaired };
}

/** GET /metrics of one node; undefined when it does not answer in time. */
export async function readCorruptionCounters(url: string, timeoutMs = 2000): Promise<CorruptionCounters | undefined> {
  const page = await fetchMetricsPage(url, timeoutMs);
  return page === undefined ? undefined : parseCorruptionCounters(page);
}

export const addCounters = (a: CorruptionCounters, b: CorruptionCounters): CorruptionCounters => ({
  records: a.records + b.records,
  hints: a.hints + b.hints,
  repaired: a.repaired + b.repaired,
});

/** The readings of every node process, summed. */
export class CorruptionTally {
  /** processes whose counters are in the sum */
  private readonly finished = new Map<string, CorruptionCounters>();
  /** node ids whose counters could not be read before they were stopped (their finds are missing from the sum) */
  readonly unread: string[] = [];

  /** Adds the counters of a node process about to end (or read at the end of the run). */
  add(node: string, c: CorruptionCounters | undefined): void {
    if (c === undefined) {
      this.unread.push(node);
      return;
    }
    this.finished.set(node, addCounters(this.finished.get(node) ?? zero, c));
  }

  /** Per node id, over all of its processes. */
  byNode(): Readonly<Record<string, CorruptionCounters>> {
    return Object.fromEntries([...this.finished].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })));
  }

  total(): CorruptionCounters {
    return [...this.finished.values()].reduce(addCounters, zero);
  }
}
