import type { KeyDistribution } from './bench-keys.js';
import type { LoadResult } from './bench-load.js';
import type { ProcessUsage } from './bench-resources.js';
import type { WorkloadStats } from './bench-run.js';
import type { SiblingsPerOp } from './bench-siblings.js';
import type { SkippedSystem, SystemName } from './bench-system.js';
import type { OpKind, WorkloadName } from './bench-workloads.js';
import { Histogram } from './histogram.js';

/** How ringkv settles concurrent writes of the benchmark's keys (see the README's Conflict policy). */
export type ConflictPolicy = 'siblings' | 'lww';

export interface BenchConfig {
  readonly nodes: number;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly sync: boolean;
  /** ?dw on every ringkv write (absent in reports written before it existed: 0) */
  readonly dw?: number;
  /** ringkv's conflict policy for the bench keys (absent in reports written before it existed: siblings) */
  readonly policy?: ConflictPolicy;
  readonly cacheMb: number | undefined;
  readonly maxOpenFiles?: number | undefined;
  /** the nodes' --table-reads, or their default (absent in reports written before it existed: mmap, the only mode then) */
  readonly tableReads?: 'pread' | 'mmap' | undefined;
  /** the nodes' --write-buffer-mb, or their default */
  readonly writeBufferMb?: number | undefined;
  /** ringkv's LevelDB compacted after the load (absent in reports written before it existed: not compacted) */
  readonly compact?: boolean;
  readonly clients: number;
  readonly loadClients: number;
  readonly valueBytes: number;
  readonly records: number;
  readonly durationS: number;
  /** unmeasured seconds before each workload's measured run (absent in reports written before it existed: none) */
  readonly warmupS?: number;
  readonly distribution: KeyDistribution;
  readonly workloads: readonly WorkloadName[];
  readonly seed: number;
}

/** One operation kind of one workload run (or ALL of them), latencies in ms. */
export interface OpSummary {
  readonly op: OpKind | 'ALL';
  readonly count: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly errors: number;
  readonly errorKinds: Readonly<Record<string, number>>;
  /** operations that met siblings (ringkv's HTTP 300 on a read, 409 SIBLINGS_TOO_MANY on a write) */
  readonly siblings: number;
}

export interface WorkloadSummary {
  readonly workload: WorkloadName;
  readonly elapsedMs: number;
  /** the kinds the workload issued, then ALL */
  readonly ops: readonly OpSummary[];
  /** ringkv: values a key held on average after each GET / PUT the nodes answered, warm-up included (ringkv_kv_siblings) */
  readonly siblingsPerOp?: SiblingsPerOp;
}

export interface LoadSummary {
  readonly records: number;
  readonly elapsedMs: number;
  readonly recordsPerSec: number;
  readonly failedKeys: number;
  readonly errorKinds: Readonly<Record<string, number>>;
}

/** Server processes' CPU and memory over one phase: 'load' or a workload name. */
export interface PhaseUsage {
  readonly phase: string;
  readonly processes: readonly ProcessUsage[];
}

export interface SystemReport {
  readonly name: SystemName;
  readonly description: string;
  readonly load: LoadSummary | undefined;
  /** how long the compaction after the load took (slowest node), when there was one */
  readonly compactMs?: number;
  readonly workloads: readonly WorkloadSummary[];
  readonly usage: readonly PhaseUsage[];
  /** set when the system failed to start or broke mid-run; its figures are then partial */
  readonly failure: string | undefined;
}

export interface BenchReport {
  readonly config: BenchConfig;
  readonly systems: readonly SystemReport[];
  readonly skipped: readonly SkippedSystem[];
  readonly cpus: number;
  /** CPU the load generator itself used, in % of one core: it shares the machine with the servers */
  readonly loadGeneratorCpuPercent: number;
  readonly aborted: boolean;
}

/** The per-kind figures of one workload run, plus an ALL row over every kind. */
export function summarizeWorkload(workload: WorkloadName, stats: WorkloadStats): WorkloadSummary {
  const seconds = Math.max(0.001, stats.elapsedMs / 1000);
  const summarize = (op: OpKind | 'ALL', h: Histogram, errors: number, errorKinds: Record<string, number>, siblings: number): OpSummary => ({
    op,
    count: h.count,
    opsPerSec: h.count / seconds,
    p50Ms: h.percentileMs(50),
    p95Ms: h.percentileMs(95),
    p99Ms: h.percentileMs(99),
    p999Ms: h.percentileMs(99.9),
    maxMs: h.maxMs,
    errors,
    errorKinds,
    siblings,
  });
  const used = stats.ops.filter((s) => s.histogram.count > 0 || s.errors > 0);
  const all = new Histogram();
  const allKinds: Record<string, number> = {};
  for (const s of used) {
    all.add(s.histogram);
    for (const [k, v] of Object.entries(s.errorKinds)) allKinds[k] = (allKinds[k] ?? 0) + v;
  }
  const sum = (f: (s: (typeof used)[number]) => number): number => used.reduce((acc, s) => acc + f(s), 0);
  return {
    workload,
    elapsedMs: stats.elapsedMs,
    ops: [
      ...used.map((s) => summarize(s.kind, s.histogram, s.errors, { ...s.errorKinds }, s.siblings)),
      summarize('ALL', all, sum((s) => s.errors), allKinds, sum((s) => s.siblings)),
    ],
  };
}

export function summarizeLoad(load: LoadResult): LoadSummary {
  return {
    records: load.written,
    elapsedMs: load.elapsedMs,
    recordsPerSec: load.written / Math.max(0.001, load.elapsedMs / 1000),
    failedKeys: load.failedKeys,
    errorKinds: load.errorKinds,
  };
}

/** The report as JSON for scripts: latencies in ms, memory in bytes, rates rounded to 0.1. */
export function reportJson(report: BenchReport): string {
  const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;
  return `${JSON.stringify(
    {
      ...report,
      config: { ...report.config, cacheMb: report.config.cacheMb ?? null, maxOpenFiles: report.config.maxOpenFiles ?? null, tableReads: report.config.tableReads ?? null, writeBufferMb: report.config.writeBufferMb ?? null },
      loadGeneratorCpuPercent: Math.round(report.loadGeneratorCpuPercent),
      systems: report.systems.map((s) => ({
        ...s,
        load: s.load === undefined ? null : { ...s.load, elapsedMs: Math.round(s.load.elapsedMs), recordsPerSec: round(s.load.recordsPerSec) },
        workloads: s.workloads.map((w) => ({
          ...w,
          elapsedMs: Math.round(w.elapsedMs),
          ops: w.ops.map((o) => ({ ...o, opsPerSec: round(o.opsPerSec) })),
        })),
        usage: s.usage.map((u) => ({
          ...u,
          processes: u.processes.map((p) => ({
            label: p.label,
            rssBytes: p.rssBytes ?? null,
            rssFileBytes: p.rssFileBytes ?? null,
            rssPeakBytes: p.rssPeakBytes ?? null,
            cpuPercent: p.cpuPercent === undefined ? null : round(p.cpuPercent),
          })),
        })),
        failure: s.failure ?? null,
      })),
    },
    null,
    2,
  )}\n`;
}
