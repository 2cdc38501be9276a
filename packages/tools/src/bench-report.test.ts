import { describe, expect, it } from 'vitest';
import type { PhaseResult } from './bench-phase.js';
import { formatReport, reportJson, type BenchReport } from './bench-report.js';

const phase = (op: 'PUT' | 'GET', errors: number): PhaseResult => ({
  op,
  ops: 1000,
  errors,
  notFound: 0,
  siblings: 0,
  elapsedMs: 1000.4,
  opsPerSec: 999.6,
  p50Ms: 1.234,
  p99Ms: 9.5,
  maxMs: 20,
  errorKinds: errors === 0 ? {} : { 'HTTP 503': errors },
});
const report: BenchReport = {
  config: { nodes: 3, n: 3, r: 2, w: 2, clients: 50, valueBytes: 100, keys: 100000, seconds: 10 },
  phases: [phase('PUT', 2), phase('GET', 0)],
  nodes: [{ id: 'n1', rssBytes: 100 * 1024 * 1024 }, { id: 'n2', rssBytes: undefined }],
};

describe('bench report', () => {
  it('prints a table per operation and per node', () => {
    const text = formatReport(report);
    expect(text).toContain('3 nodes N=3 R=2 W=2, 50 clients (closed loop), 100-byte values, 100000 keys, 10 s per phase');
    expect(text).toContain('OP   OPS   OPS/S  P50 MS  P99 MS  MAX MS  ERRORS');
    expect(text).toContain('PUT  1000  1000   1.23    9.50    20.00   2');
    expect(text).toContain('PUT errors: HTTP 503 x2');
    expect(text).toContain('n1    100.0');
    expect(text).toContain('n2    -');
  });

  it('prints JSON with nulls for unknown memory', () => {
    const json = JSON.parse(reportJson(report)) as { nodes: unknown[]; phases: { opsPerSec: number }[] };
    expect(json.nodes).toEqual([{ id: 'n1', rssBytes: 104857600 }, { id: 'n2', rssBytes: null }]);
    expect(json.phases[0]?.opsPerSec).toBe(999.6);
  });
});
