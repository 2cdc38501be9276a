import { describe, expect, it } from 'vitest';
import { AckLedger, seqOf, valueOf, windowStats, type Sample } from './rebalance-workload.js';

describe('rebalance workload values', () => {
  it('carry their sequence number and the requested size', () => {
    expect(valueOf(12, 10)).toBe('12|vvvvvvv');
    expect(valueOf(123456, 3)).toBe('123456|');
    expect(seqOf(valueOf(7, 100))).toBe(7);
    expect(seqOf('someone else')).toBeNaN();
  });

  it('the ledger lists only keys with an acknowledged write', () => {
    const ledger = new AckLedger();
    ledger.state('a').acked = 3;
    ledger.state('b');
    expect(ledger.ackedKeys()).toEqual(['a']);
  });
});

describe('windowStats', () => {
  it('counts the requests sent in the window, with nearest-rank percentiles', () => {
    const samples: Sample[] = Array.from({ length: 100 }, (_, i) => ({ start: i * 10, ms: i + 1, op: 'put', phase: i === 5 ? 'info' : i === 6 ? 'fail' : 'ok', ...(i === 5 ? { error: 'QUORUM_NOT_MET' } : {}) }));
    const s = windowStats(samples, 0, 1000);
    expect(s).toMatchObject({ requests: 100, ok: 98, failed: 1, unknown: 1, successRate: 0.98, p50Ms: 50, p99Ms: 99, maxMs: 100, perSecond: 100 });
    expect(s.errors).toEqual({ QUORUM_NOT_MET: 1, fail: 1 });
    expect(windowStats(samples, 500, 600).requests).toBe(10);
    expect(windowStats([], 0, 10).successRate).toBe(1);
  });
});
