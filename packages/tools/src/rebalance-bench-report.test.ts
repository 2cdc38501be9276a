import { describe, expect, it } from 'vitest';
import { formatRebalanceReport, type RebalanceReport } from './rebalance-bench-report.js';
import type { WindowStats } from './rebalance-workload.js';

const stats = (p99Ms: number): WindowStats => ({ requests: 100, ok: 99, failed: 1, unknown: 0, successRate: 0.99, p50Ms: 3, p99Ms, maxMs: 40, perSecond: 50, errors: { QUORUM_NOT_MET: 1 } });

const report: RebalanceReport = {
  config: { keys: 1000, clients: 4, valueBytes: 100, n: 3, r: 2, w: 2, partitions: 256, nodeFlags: [] },
  load: { keys: 1000, seconds: 2, keysPerSecond: 500 },
  baseline: stats(10),
  changes: [
    {
      change: 'join n4',
      nodesBefore: 3,
      nodesAfter: 4,
      epoch: 2,
      ownersMoved: 64,
      ownersMovedMinimum: 64,
      transfers: 190,
      estimatedSeconds: 1,
      transferSeconds: 4.25,
      settledSeconds: null,
      keysHandedOff: 750,
      bytesHandedOff: 1_500_000,
      keysPerSecond: 176.5,
      megabytesPerSecond: 0.353,
      clients: stats(25),
    },
  ],
  whole: stats(30),
  final: {
    keysChecked: 1000,
    writesAcknowledged: 5000,
    lost: 0,
    lostExamples: [],
    unreadable: 0,
    unreadableExamples: [],
    checkSeconds: 1.5,
    stored: { n1: { stored: 1000, expected: 1000 } },
    storedTotal: 3000,
    expectedTotal: 3000,
    everyKeyAtN: true,
    staleReads: 0,
    staleExamples: [],
  },
  failures: [],
};

describe('the rebalance report', () => {
  it('prints one row per change with movement against the minimum, rate and client figures', () => {
    const text = formatRebalanceReport(report);
    const row = text.split('\n').find((l) => l.startsWith('join n4'));
    expect(row).toMatch(/^join n4\s+3->4\s+64\s+64\s+1\.00\s+190\s+1 s\s+4\.3 s\s+-\s+750\s+177\s+0\.35\s+99\.00%\s+25\s+50$/);
    expect(text).toContain('join n4: client errors QUORUM_NOT_MET×1');
    expect(text).toContain('acknowledged writes lost: 0 (checked the last acknowledged write of 1000 keys with r=3');
    expect(text).toContain('every key at N=3 replicas: yes');
    expect(text.trim().endsWith('PASS')).toBe(true);
    expect(formatRebalanceReport({ ...report, failures: ['2 acknowledged writes lost'] })).toContain('FAIL: 2 acknowledged writes lost');
  });
});
