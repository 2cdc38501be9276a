import { describe, expect, it } from 'vitest';
import { parseSiblingCounts, scrapeSiblingCounts, siblingsBetween } from './bench-siblings.js';
import { siblingsHeldText } from './bench-table.js';

const metrics = (getSum: number, getCount: number, putSum: number, putCount: number): string =>
  [
    '# HELP ringkv_kv_siblings values (siblings) the key held',
    '# TYPE ringkv_kv_siblings histogram',
    'ringkv_kv_siblings_bucket{le="1",op="get"} 3',
    `ringkv_kv_siblings_sum{op="get"} ${getSum}`,
    `ringkv_kv_siblings_count{op="get"} ${getCount}`,
    `ringkv_kv_siblings_sum{op="put"} ${putSum}`,
    `ringkv_kv_siblings_count{op="put"} ${putCount}`,
    'ringkv_http_requests_total{op="get",status="200"} 9',
  ].join('\n');

describe('bench sibling counts', () => {
  it('reads the sum and count of each op, and zero where a series is missing', () => {
    expect(parseSiblingCounts(metrics(4, 3, 10, 2))).toEqual({ get: { sum: 4, count: 3 }, put: { sum: 10, count: 2 } });
    expect(parseSiblingCounts('ringkv_kv_siblings_sum{op="get"} NaN\n')).toEqual({ get: { sum: 0, count: 0 }, put: { sum: 0, count: 0 } });
  });

  it('gives the mean per op between two scrapes, and nothing for an op without observations', () => {
    const before = parseSiblingCounts(metrics(4, 3, 10, 2));
    const after = parseSiblingCounts(metrics(4 + 30, 3 + 10, 10, 2));
    expect(siblingsBetween(before, after)).toEqual({ get: 3 });
    expect(siblingsBetween(after, after)).toEqual({});
  });

  it('counts a node that does not answer as none', async () => {
    // port 9 on 127.0.0.1 (discard) has no HTTP server here: the fetch fails fast
    expect(await scrapeSiblingCounts(['http://127.0.0.1:9'])).toEqual({ get: { sum: 0, count: 0 }, put: { sum: 0, count: 0 } });
  });

  it('reports values per key only when keys held siblings', () => {
    expect(siblingsHeldText(undefined)).toBeUndefined();
    expect(siblingsHeldText({ get: 1, put: 1 })).toBeUndefined();
    expect(siblingsHeldText({ get: 3.14, put: 14.2 })).toBe('values per key on average: 14.2 after each PUT, 3.1 after each GET (siblings included; ringkv_kv_siblings)');
  });
});
