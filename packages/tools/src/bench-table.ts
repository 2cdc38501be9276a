import type { BenchReport, OpSummary, SystemReport } from './bench-report.js';
import type { ProcessUsage } from './bench-resources.js';
import type { SiblingsPerOp } from './bench-siblings.js';
import { formatTable } from '@ringkv/cli/table-format';

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mb = (bytes: number | undefined): string => (bytes === undefined ? '-' : (bytes / (1024 * 1024)).toFixed(0));
const pct = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(0));
const thousands = (v: number): string => Math.round(v).toLocaleString('en-US').replace(/,/g, ' ');

/** "0.42", "5.1", "12": two significant digits, no exponent. */
export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return '-';
  return r >= 10 ? r.toFixed(0) : r.toPrecision(2);
}

/** The human-readable result, meant to be pasted into a README or an issue note as it is. */
export function formatBenchReport(report: BenchReport): string {
  const c = report.config;
  const lines = [
    `ringkv bench: ${c.nodes} nodes N=${c.n} R=${c.r} W=${c.w}${c.sync ? ' --sync' : ''}${(c.dw ?? 0) > 0 ? ` --dw ${c.dw}` : ''}${c.policy === 'lww' ? ' --policy lww' : ''}, ${c.clients} clients (closed loop), ` +
      `${c.valueBytes}-byte values, ${thousands(c.records)} records, ${c.distribution} keys, ${c.durationS} s per workload${(c.warmupS ?? 0) > 0 ? ` after ${c.warmupS} s of warm-up` : ''}, seed ${c.seed}`,
    `machine: ${report.cpus} CPUs shared by the load generator (${report.loadGeneratorCpuPercent.toFixed(0)}% of one core) and every server process`,
    '',
  ];
  const rows = [['SYSTEM', 'WORKLOAD', 'OP', 'OPS/S', 'P50 MS', 'P95 MS', 'P99 MS', 'P99.9 MS', 'MAX MS', 'ERRORS']];
  for (const s of report.systems) {
    for (const w of s.workloads) {
      for (const o of w.ops) {
        rows.push([s.name, w.workload, o.op, thousands(o.opsPerSec), ms(o.p50Ms), ms(o.p95Ms), ms(o.p99Ms), ms(o.p999Ms), ms(o.maxMs), String(o.errors)]);
      }
    }
  }
  lines.push(formatTable(rows), ...detailLines(report.systems));
  const loads = report.systems.filter((s) => s.load !== undefined);
  if (loads.length > 0) {
    lines.push('', 'load (each record written once, in parallel):');
    for (const s of loads) {
      const l = s.load!;
      const failed = l.failedKeys > 0 ? `, ${l.failedKeys} keys failed` : '';
      const compacted = s.compactMs === undefined ? '' : `; then LevelDB compacted on every node in ${(s.compactMs / 1000).toFixed(1)} s, before the workloads`;
      lines.push(`  ${s.name}: ${thousands(l.records)} records in ${(l.elapsedMs / 1000).toFixed(1)} s = ${thousands(l.recordsPerSec)}/s${failed}${errorText(l.errorKinds)}${compacted}`);
    }
  }
  lines.push('', 'processes (bench: the load generator): RSS MB at the end of each phase (in brackets: of it, mapped file pages — LevelDB tables, binaries — which the kernel can drop) / CPU % of one core during it', formatTable(usageRows(report.systems)));
  const peaks = peakRssLines(report.systems);
  if (peaks.length > 0) lines.push('', 'peak RSS of each process over the whole run (VmHWM, mapped file pages included):', ...peaks);
  const cost = costRows(report.systems);
  if (cost.length > 1) {
    lines.push(
      '',
      'cost per operation, all server processes together (load generator excluded); steadier than ops/s when the machine has other load:',
      formatTable(cost),
    );
  }
  const ratios = ratioLines(report.systems);
  if (ratios.length > 0) lines.push('', 'ringkv ops/s as a multiple of each peer\'s (above 1: ringkv is faster):', ...ratios);
  lines.push('', ...noteLines(report));
  lines.push('');
  return lines.join('\n');
}

const kindsText = (kinds: Readonly<Record<string, number>>): string => Object.entries(kinds).map(([k, v]) => `${k} ×${v}`).join(', ');

function errorText(kinds: Readonly<Record<string, number>>): string {
  const text = kindsText(kinds);
  return text === '' ? '' : ` (errors: ${text})`;
}

function detailLines(systems: readonly SystemReport[]): string[] {
  const lines: string[] = [];
  for (const s of systems) {
    if (s.failure !== undefined) lines.push(`${s.name}: FAILED: ${s.failure}`);
    for (const w of s.workloads) {
      for (const o of w.ops) {
        if (o.op === 'ALL') continue;
        if (o.errors > 0) lines.push(`${s.name} ${w.workload} ${o.op} errors: ${kindsText(o.errorKinds)}`);
        if (o.siblings > 0) lines.push(`${s.name} ${w.workload} ${o.op}: ${o.siblings} operations met siblings (${o.op === 'READ' ? 'HTTP 300' : 'HTTP 300 on read, or 409 on write, resolved by a read and a write with its context'})`);
      }
      const held = siblingsHeldText(w.siblingsPerOp);
      if (held !== undefined) lines.push(`${s.name} ${w.workload}: ${held}`);
    }
  }
  return lines.length === 0 ? [] : ['', ...lines];
}

/** One row per server process, one column per phase. */
export function usageRows(systems: readonly SystemReport[]): string[][] {
  const phases: string[] = [];
  for (const s of systems) for (const u of s.usage) if (!phases.includes(u.phase)) phases.push(u.phase);
  const rows = [['SYSTEM', 'PROCESS', ...phases.map((p) => p.toUpperCase())]];
  for (const s of systems) {
    const labels: string[] = [];
    for (const u of s.usage) for (const p of u.processes) if (!labels.includes(p.label)) labels.push(p.label);
    for (const label of labels) {
      rows.push([
        s.name,
        label,
        ...phases.map((phase) => {
          const p = s.usage.find((u) => u.phase === phase)?.processes.find((q) => q.label === label);
          if (p === undefined) return '';
          const file = p.rssFileBytes === undefined ? '' : ` (${mb(p.rssFileBytes)})`;
          return `${mb(p.rssBytes)}${file} / ${pct(p.cpuPercent)}`;
        }),
      ]);
    }
  }
  return rows;
}

/** Per system, each process's highest VmHWM seen at the end of any phase. */
export function peakRssLines(systems: readonly SystemReport[]): string[] {
  const lines: string[] = [];
  for (const s of systems) {
    const peak = new Map<string, number>();
    for (const u of s.usage) for (const p of u.processes) if (p.rssPeakBytes !== undefined) peak.set(p.label, Math.max(peak.get(p.label) ?? 0, p.rssPeakBytes));
    if (peak.size > 0) lines.push(`  ${s.name}: ${[...peak].map(([label, bytes]) => `${label} ${mb(bytes)} MB`).join(', ')}`);
  }
  return lines;
}

/** Server CPU time and system calls per operation, per system and phase (the load counts each record once). */
export function costRows(systems: readonly SystemReport[]): string[][] {
  const rows = [['SYSTEM', 'PHASE', 'CPU µS/OP', 'SYSCALLS/OP']];
  for (const s of systems) {
    for (const u of s.usage) {
      const ops = u.phase === 'load' ? s.load?.records : s.workloads.find((w) => w.workload === u.phase)?.ops.at(-1)?.count;
      const servers = u.processes.filter((p) => p.label !== 'bench');
      if (ops === undefined || ops <= 0 || servers.length === 0) continue;
      const total = (pick: (p: ProcessUsage) => number | undefined): number | undefined =>
        servers.every((p) => pick(p) !== undefined) ? servers.reduce((sum, p) => sum + (pick(p) ?? 0), 0) : undefined;
      const cpu = total((p) => p.cpuSeconds);
      const calls = total((p) => p.syscalls);
      if (cpu === undefined && calls === undefined) continue;
      rows.push([s.name, u.phase, cpu === undefined ? '-' : ((cpu * 1e6) / ops).toFixed(0), calls === undefined ? '-' : (calls / ops).toFixed(2)]);
    }
  }
  return rows;
}

/** "A READ    0.42× fastify, 0.31× redis, 5.1× etcd" for every ringkv workload and operation a peer ran too. */
export function ratioLines(systems: readonly SystemReport[]): string[] {
  const ringkv = systems.find((s) => s.name === 'ringkv');
  const peers = systems.filter((s) => s.name !== 'ringkv');
  if (ringkv === undefined || peers.length === 0) return [];
  const find = (s: SystemReport, workload: string, op: string): OpSummary | undefined =>
    s.workloads.find((w) => w.workload === workload)?.ops.find((o) => o.op === op);
  const rows: string[][] = [];
  for (const w of ringkv.workloads) {
    for (const o of w.ops) {
      const parts = peers.flatMap((p) => {
        const theirs = find(p, w.workload, o.op);
        return theirs === undefined || theirs.opsPerSec <= 0 ? [] : [`${formatRatio(o.opsPerSec / theirs.opsPerSec)}× ${p.name}`];
      });
      if (parts.length > 0) rows.push([`  ${w.workload}`, o.op, parts.join(', ')]);
    }
  }
  return rows.length === 0 ? [] : formatTable(rows).split('\n');
}

function noteLines(report: BenchReport): string[] {
  const lines = report.systems.map((s) => `* ${s.description}`);
  for (const s of report.skipped) lines.push(`* ${s.name} skipped: ${s.skipped}`);
  const names = report.systems.map((s) => s.name);
  if (names.includes('redis')) lines.push('* Redis Cluster has no quorum: it can lose acknowledged writes (async replication, AOF fsynced once a second).');
  if (names.includes('etcd')) {
    lines.push(
      report.config.sync
        ? '* etcd fsyncs every write, as ringkv --sync does: this is the like-for-like durable comparison.'
        : (report.config.dw ?? 0) >= 2
          ? `* etcd fsyncs every write to a majority, as ringkv with ?dw=${report.config.dw ?? 0} does: a like-for-like durable comparison.`
          : '* etcd fsyncs every write; ringkv without --sync does not (compare with etcd using --sync or --dw 2).',
    );
  }
  if (report.aborted) lines.push('* interrupted: the figures are partial.');
  lines.push(`* every system ran alone, one after another, on the same ${report.cpus} CPUs; a shared machine makes the figures noisy.`);
  return lines;
}

/**
 * "values per key on average: 14.2 after each PUT, 3.1 after each GET": said
 * only when keys held siblings, since every write of such a key rewrites them all.
 */
export function siblingsHeldText(perOp: SiblingsPerOp | undefined): string | undefined {
  const parts: string[] = [];
  if (perOp?.put !== undefined) parts.push(`${perOp.put.toFixed(1)} after each PUT`);
  if (perOp?.get !== undefined) parts.push(`${perOp.get.toFixed(1)} after each GET`);
  const most = Math.max(perOp?.put ?? 0, perOp?.get ?? 0);
  if (most < 1.05) return undefined;
  return `values per key on average: ${parts.join(', ')} (siblings included; ringkv_kv_siblings)`;
}
