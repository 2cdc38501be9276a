import { describe, expect, it } from 'vitest';
import { reportJson, summarizeWorkload, type BenchReport, type SystemReport } from './bench-report.js';
import type { OpStats } from './bench-run.js';
import { costRows, formatBenchReport, formatRatio, peakRssLines, ratioLines, usageRows } from './bench-table.js';
import { Histogram } from './histogram.js';

function stats(kind: OpStats['kind'], latenciesMs: number[], errors: Record<string, number> = {}, siblings = 0): OpStats {
  const histogram = new Histogram();
  for (const ms of latenciesMs) histogram.recordMs(ms);
  return { kind, histogram, errors: Object.values(errors).reduce((a, b) => a + b, 0), errorKinds: errors, siblings };
}

function system(name: SystemReport['name'], readsPerSec: number, updatesPerSec: number): SystemReport {
  // 10 s: the count is ten times the rate.
  const reads = stats('READ', new Array<number>(readsPerSec * 10).fill(2));
  const updates = stats('UPDATE', new Array<number>(updatesPerSec * 10).fill(4), name === 'ringkv' ? { 'HTTP 503': 2 } : {});
  return {
    name,
    description: `${name}: test system`,
    load: name === 'fastify' ? undefined : { records: 1000, elapsedMs: 2000, recordsPerSec: 500, failedKeys: 0, errorKinds: {} },
    workloads: [summarizeWorkload('A', { elapsedMs: 10_000, ops: [reads, updates, stats('INSERT', [])] })],
    usage: [{ phase: 'A', processes: [{ label: `${name}-1`, rssBytes: 100 * 1024 * 1024, cpuPercent: 55.4 }] }],
    failure: undefined,
  };
}

const config: BenchReport['config'] = {
  nodes: 3, n: 3, r: 2, w: 2, sync: false, cacheMb: undefined, clients: 50, loadClients: 256, valueBytes: 100, records: 1000,
  durationS: 10, distribution: 'zipfian', workloads: ['A'], seed: 1,
};

describe('summarizeWorkload', () => {
  it('keeps the kinds the workload used and adds an ALL row', () => {
    const s = system('ringkv', 100, 50).workloads[0]!;
    expect(s.ops.map((o) => o.op)).toEqual(['READ', 'UPDATE', 'ALL']);
    const [read, update, all] = s.ops;
    expect(read!.opsPerSec).toBe(100);
    expect(update!.errors).toBe(2);
    expect(all!.count).toBe(1500);
    expect(all!.opsPerSec).toBe(150);
    expect(all!.errorKinds).toEqual({ 'HTTP 503': 2 });
    expect(all!.p50Ms).toBeCloseTo(2, 2);
    expect(all!.p99Ms).toBeCloseTo(4, 2);
  });
});

describe('ratios', () => {
  it('formats two significant digits without exponents', () => {
    expect(formatRatio(0.4213)).toBe('0.42');
    expect(formatRatio(5.123)).toBe('5.1');
    expect(formatRatio(123.4)).toBe('123');
    expect(formatRatio(Number.NaN)).toBe('-');
  });

  it('divides ringkv\'s ops/s by each peer\'s, per workload and operation', () => {
    const lines = ratioLines([system('ringkv', 100, 50), system('fastify', 400, 100), system('etcd', 20, 10)]);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/A\s+READ\s+0\.25× fastify, 5\.0× etcd$/);
    expect(lines[1]).toMatch(/A\s+UPDATE\s+0\.50× fastify, 5\.0× etcd$/);
    expect(lines[2]).toMatch(/A\s+ALL\s+0\.30× fastify, 5\.0× etcd$/);
    expect(ratioLines([system('ringkv', 1, 1)])).toEqual([]);
  });
});

describe('formatBenchReport', () => {
  const report: BenchReport = {
    config,
    systems: [system('ringkv', 100, 50), system('redis', 1000, 1000), system('etcd', 20, 10)],
    skipped: [{ name: 'fastify', skipped: 'not here' }],
    cpus: 2,
    loadGeneratorCpuPercent: 80,
    aborted: false,
  };
  const text = formatBenchReport(report);

  it('has one row per system, workload and operation, with errors and process usage', () => {
    expect(text).toMatch(/^ringkv\s+A\s+READ\s+100\s+2\.00\s/m);
    expect(text).toMatch(/^redis\s+A\s+ALL\s+2 000\s/m);
    expect(text).toContain('ringkv A UPDATE errors: HTTP 503 ×2');
    expect(text).toContain('ringkv: 1 000 records in 2.0 s = 500/s');
    expect(text).toMatch(/^ringkv\s+ringkv-1\s+100 \/ 55$/m);
  });

  it('shows the mapped file pages of a process\'s RSS when they were read', () => {
    const mapped: SystemReport = { ...system('ringkv', 100, 50), usage: [{ phase: 'C', processes: [{ label: 'n1', rssBytes: 700 * 1024 * 1024, rssFileBytes: 520 * 1024 * 1024, cpuPercent: 49 }] }] };
    expect(usageRows([mapped])[1]).toEqual(['ringkv', 'n1', '700 (520) / 49']);
  });

  it("gives each process's highest peak RSS over all phases, and nothing when none was read", () => {
    const mb = 1024 * 1024;
    const usage = (phase: string, n1: number, n2: number) => ({
      phase,
      processes: [
        { label: 'n1', rssBytes: 100 * mb, rssPeakBytes: n1 * mb, cpuPercent: 50 },
        { label: 'n2', rssBytes: 100 * mb, rssPeakBytes: n2 * mb, cpuPercent: 50 },
      ],
    });
    const peaks: SystemReport = { ...system('ringkv', 100, 50), usage: [usage('load', 150, 260), usage('C', 210, 240)] };
    expect(peakRssLines([peaks])).toEqual(['  ringkv: n1 210 MB, n2 260 MB']);
    expect(peakRssLines([system('ringkv', 100, 50)])).toEqual([]);
  });

  it('says how long each workload warmed up before it was measured, if at all', () => {
    expect(text).toContain('10 s per workload, seed 1');
    expect(formatBenchReport({ ...report, config: { ...config, warmupS: 5 } })).toContain('10 s per workload after 5 s of warm-up, seed 1');
  });

  it('says when the load was followed by a compaction, and how long it took', () => {
    expect(text).not.toContain('compacted');
    const compacted = formatBenchReport({ ...report, systems: [{ ...system('ringkv', 100, 50), compactMs: 12_340 }] });
    expect(compacted).toContain('ringkv: 1 000 records in 2.0 s = 500/s; then LevelDB compacted on every node in 12.3 s, before the workloads');
  });

  it('states the caveats: redis without quorum, etcd fsyncing, skipped peers', () => {
    expect(text).toContain('Redis Cluster has no quorum: it can lose acknowledged writes');
    expect(text).toContain('etcd fsyncs every write; ringkv without --sync does not');
    expect(formatBenchReport({ ...report, config: { ...config, sync: true } })).toContain('etcd fsyncs every write, as ringkv --sync does');
    expect(text).toContain('fastify skipped: not here');
    expect(text).toContain('0.10× redis, 5.0× etcd');
  });

  it('usage table has a column per phase', () => {
    expect(usageRows(report.systems)[0]).toEqual(['SYSTEM', 'PROCESS', 'A']);
  });

  it('costs each phase per operation over the server processes, without the load generator', () => {
    const measured: SystemReport = {
      ...system('ringkv', 100, 50),
      usage: [
        {
          phase: 'load',
          processes: [
            { label: 'n1', rssBytes: 1, cpuPercent: 50, cpuSeconds: 0.5, syscalls: 2000 },
            { label: 'n2', rssBytes: 1, cpuPercent: 50, cpuSeconds: 0.5, syscalls: 1000 },
            { label: 'bench', rssBytes: 1, cpuPercent: 99, cpuSeconds: 9, syscalls: 99_999 },
          ],
        },
        // A ran 1 500 operations (ten seconds of 100 + 50 per second)
        { phase: 'A', processes: [{ label: 'n1', rssBytes: 1, cpuPercent: 10, cpuSeconds: 3, syscalls: 6000 }, { label: 'n2', rssBytes: 1, cpuPercent: 10, cpuSeconds: undefined, syscalls: 1500 }] },
      ],
    };
    expect(costRows([measured])).toEqual([
      ['SYSTEM', 'PHASE', 'CPU µS/OP', 'SYSCALLS/OP'],
      ['ringkv', 'load', '1000', '3.00'],
      ['ringkv', 'A', '-', '5.00'],
    ]);
    expect(formatBenchReport({ ...report, systems: [measured] })).toMatch(/^ringkv\s+load\s+1000\s+3\.00$/m);
    // without the figures (older reports, no /proc) there is no section at all
    expect(text).not.toContain('cost per operation');
  });

  it('has a JSON form with the same figures', () => {
    const json = JSON.parse(reportJson(report)) as { systems: { name: string; workloads: { ops: { op: string; opsPerSec: number }[] }[] }[] };
    expect(json.systems.map((s) => s.name)).toEqual(['ringkv', 'redis', 'etcd']);
    expect(json.systems[0]!.workloads[0]!.ops.map((o) => [o.op, o.opsPerSec])).toEqual([['READ', 100], ['UPDATE', 50], ['ALL', 150]]);
  });
});
