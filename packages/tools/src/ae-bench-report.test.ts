import { describe, expect, it } from 'vitest';
import { aeBenchKey, keysReplicatedBy, pickEvenly } from './ae-bench-keys.js';
import { aeFigures, aeReportJson, formatAeReport, type AeBenchMeasurements } from './ae-bench-report.js';
import { addCounters, counterDelta, parseRepairSummary, parseSnapshot, zeroCounters } from './ae-bench-status.js';

const counters = (bytesSent: number, bytesReceived: number, exchanges = 10) => ({ exchanges, exchangesFailed: 0, keysRepaired: 0, bytesSent, bytesReceived });

const measurements: AeBenchMeasurements = {
  config: { nodes: 3, n: 3, keys: 100_000, valueBytes: 100, aeIntervalMs: 10, partitions: 256 },
  load: { keys: 100_000, elapsedMs: 20_000, retries: 0 },
  wipe: {
    victim: 'n3',
    keys: 100_000,
    readyMs: 1200,
    repairedMs: 12_500,
    counters: counters(1_000_000, 19_000_000, 800),
    victimMerges: 125_000,
    victimChanges: 100_000,
  },
  diverged: {
    victim: 'n3',
    keys: 1000,
    victimKeys: 100_000,
    payloadBytes: 10_588_890,
    repairedMs: 4000,
    victimChanges: 1000,
    counters: counters(300_000, 100_000, 600),
  },
  idle: {
    summaries: [
      { partitions: 256, exchanges: 512, failed: 0, keysRepaired: 0, bytesSent: 10_000, bytesReceived: 40_000 },
      { partitions: 256, exchanges: 512, failed: 0, keysRepaired: 0, bytesSent: 10_000, bytesReceived: 40_000 },
      { partitions: 256, exchanges: 512, failed: 0, keysRepaired: 0, bytesSent: 10_000, bytesReceived: 41_536 },
    ],
  },
};

describe('ae-bench figures', () => {
  it('computes keys/s, the share of a full copy and the cost of an idle round', () => {
    const f = aeFigures(measurements);
    expect(f.wipe.keysPerSec).toBe(8000);
    expect(f.wipe.bytes).toBe(20_000_000);
    expect(f.wipe.bytesPerKey).toBe(200);
    expect(f.diverged.bytes).toBe(400_000);
    expect(f.diverged.fullCopyBytes).toBe(20_000_000);
    expect(f.diverged.percentOfFullCopy).toBeCloseTo(2, 10);
    expect(f.wipe.duplicateShare).toBeCloseTo(0.2, 10);
    expect(f.wipe.onceBytes).toBeCloseTo(16_000_000, 3);
    expect(f.diverged.percentOfOnceCopy).toBeCloseTo(2.5, 10);
    expect(f.diverged.percentOfKeys).toBe(1);
    expect(f.diverged.withinTarget).toBe(true);
    expect(f.idle.exchanges).toBe(1536);
    expect(f.idle.bytes).toBe(151_536);
    expect(f.idle.bytesPerExchange).toBeCloseTo(98.66, 2);
    expect(f.idle.bytesPerPartition).toBeCloseTo(591.94, 2);
  });

  it('says when the 5% target is missed, and never divides by zero into a number', () => {
    const missed = aeFigures({ ...measurements, diverged: { ...measurements.diverged, counters: counters(1_000_000, 1_000_000) } });
    expect(missed.diverged.percentOfFullCopy).toBeCloseTo(10, 10);
    expect(missed.diverged.withinTarget).toBe(false);
    const empty = aeFigures({
      ...measurements,
      wipe: { ...measurements.wipe, counters: zeroCounters, repairedMs: 0, victimMerges: 0, victimChanges: 0 },
      idle: { summaries: [] },
    });
    expect(empty.diverged.percentOfOnceCopy).toBeNaN();
    expect(empty.diverged.percentOfFullCopy).toBeNaN();
    expect(empty.diverged.withinTarget).toBe(false);
    expect(empty.idle.bytesPerExchange).toBeNaN();
    expect(formatAeReport({ ...measurements, idle: { summaries: [] } })).toContain('- bytes per partition exchange');
  });

  it('prints the three figures as text', () => {
    const text = formatAeReport(measurements);
    expect(text).toContain('ringkv ae-bench: 3 nodes N=3, 100,000 keys with 100-byte values, 256 partitions, --ae-interval-ms 10');
    expect(text).toContain('100,000 keys back in 12.5 s from its restart: 8,000 keys/s (process ready after 1.2 s)');
    expect(text).toContain('moved: 20,000,000 bytes both ways (19.1 MiB, 200 bytes/key) in 800 exchanges');
    expect(text).toContain('(ii) 1.00% of keys diverged on n3 (1,000 of its 100,000 keys overwritten while it was down)');
    expect(text).toContain('bytes sent 300,000 + received 100,000 = 400,000 (390.6 KiB)');
    expect(text).toContain('= 2.00% of a full copy (20,000,000 bytes, what (i) moved)  [target <= 5%: met]');
    expect(text).toContain('= 2.50% of a full copy sent once (16,000,000 bytes: (i) without its duplicate records)');
    expect(text).toContain('20.0% of the records n3 received it already had (125,000 merged, 100,000 new)');
    expect(text).toContain('1,536 exchanges, 0 keys repaired, 151,536 bytes both ways');
    expect(text).toContain('99 bytes per partition exchange, 592 bytes per partition per round');
  });

  it('prints JSON with the measurements and the figures', () => {
    const json = JSON.parse(aeReportJson(measurements)) as Record<string, Record<string, unknown>>;
    expect(json['wipe']).toMatchObject({ victim: 'n3', keys: 100_000, keysPerSec: 8000, bytes: 20_000_000, repairedMs: 12_500 });
    expect(json['diverged']).toMatchObject({ keys: 1000, bytesSent: 300_000, bytesReceived: 100_000, percentOfFullCopy: 2, percentOfOnceCopy: 2.5, withinTarget: true, targetPercent: 5 });
    expect(json['wipe']).toMatchObject({ duplicateShare: 0.2, onceBytes: 16_000_000 });
    expect(json['idle']).toMatchObject({ exchanges: 1536, bytesPerExchange: 98.7, bytesPerPartition: 591.9 });
    expect((json['idle']?.['perNode'] as unknown[]).length).toBe(3);
  });
});

describe('ae-bench status readings', () => {
  const status = {
    id: 'n1',
    cluster: { n: 3, r: 2, w: 2, partitions: 256 },
    keysStored: 42,
    recovering: { active: true, partitionsLeft: 7 },
    replica: { merges: 9, mergesChanged: 5 },
    antiEntropy: { exchanges: 3, exchangesFailed: 1, keysRepaired: 2, bytesSent: 100, bytesReceived: 200, treesBuilt: 256 },
  };

  it('picks the fields it needs', () => {
    expect(parseSnapshot(status)).toEqual({
      id: 'n1',
      partitions: 256,
      keysStored: 42,
      recovering: true,
      partitionsLeft: 7,
      merges: 9,
      mergesChanged: 5,
      ae: { exchanges: 3, exchangesFailed: 1, keysRepaired: 2, bytesSent: 100, bytesReceived: 200 },
    });
  });

  it('refuses a status without them rather than reading zeros', () => {
    expect(() => parseSnapshot({ ...status, antiEntropy: undefined })).toThrow(/antiEntropy is missing/);
    expect(() => parseSnapshot({ ...status, antiEntropy: { ...status.antiEntropy, bytesSent: '1' } })).toThrow(/antiEntropy\.bytesSent is not a number/);
    expect(() => parseSnapshot([])).toThrow(/not a JSON object/);
    expect(() => parseRepairSummary({ partitions: 1 })).toThrow(/exchanges is not a number/);
  });

  it('subtracts and adds counters, and notices a restart in between', () => {
    const a = counters(100, 200, 3);
    const b = counters(150, 260, 5);
    expect(counterDelta(a, b)).toEqual({ exchanges: 2, exchangesFailed: 0, keysRepaired: 0, bytesSent: 50, bytesReceived: 60 });
    expect(() => counterDelta(b, a)).toThrow(/restarted/);
    expect(addCounters([a, b])).toEqual({ exchanges: 8, exchangesFailed: 0, keysRepaired: 0, bytesSent: 250, bytesReceived: 460 });
    expect(addCounters([])).toEqual(zeroCounters);
  });
});

describe('ae-bench keys', () => {
  it('picks about the asked share, spread evenly, at least one', () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const picked = pickEvenly(items, 0.01);
    expect(picked).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(pickEvenly(items.slice(0, 10), 0.01)).toEqual([0]);
    expect(pickEvenly([], 0.5)).toEqual([]);
    expect(pickEvenly(items, 1)).toEqual(items);
    expect(new Set(pickEvenly(items, 0.37)).size).toBe(370);
    expect(() => pickEvenly(items, 0)).toThrow(RangeError);
  });

  it('every node holds every key when nodes = N, and each key is on exactly N of more nodes', () => {
    expect(keysReplicatedBy('n2', 500, 3, 3, 64)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    const per = ['n1', 'n2', 'n3', 'n4', 'n5'].map((id) => new Set(keysReplicatedBy(id, 2000, 5, 3, 64)));
    for (let i = 0; i < 2000; i++) expect(per.filter((s) => s.has(i)).length).toBe(3);
    expect(aeBenchKey(7)).toBe('ae-7');
  });
});
