import { describe, expect, it } from 'vitest';
import { formatRoutingReport, quantile, summarize } from './routing-bench-report.js';

describe('quantile', () => {
  it('is nearest-rank over sorted values', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(v, 0.5)).toBe(50);
    expect(quantile(v, 0.99)).toBe(99);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBe(0);
  });
});

describe('formatRoutingReport', () => {
  it('prints one row per phase and the relative change per operation', () => {
    const config = { nodes: 5, n: 3, r: 2, w: 2, keys: 10, valueBytes: 100, concurrency: 20, seconds: 2 };
    const text = formatRoutingReport(config, [
      summarize('any', 'GET', [4, 2, 2, 2], 0, 2, 0),
      summarize('partition-aware', 'GET', [1, 1, 1, 3], 0, 2, 0),
      summarize('any', 'PUT', [4], 1, 2, 7),
    ]);
    expect(text).toContain('5 nodes, N=3 R=2 W=2, 10 keys of 100 B, 20 in flight, 2 s per operation and routing');
    expect(text).toMatch(/GET +any +2 +2\.00 +4\.00 +0 +0/);
    expect(text).toMatch(/PUT +any +1 +4\.00 +4\.00 +1 +7/);
    expect(text).toContain('GET: partition-aware vs any: p50 -50%, p99 -25%, ops/s 0%');
    expect(text).not.toContain('PUT: partition-aware');
  });
});
