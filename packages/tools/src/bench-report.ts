import type { PhaseResult } from './bench-phase.js';
import { formatTable } from './table-format.js';

export interface BenchConfig {
  readonly nodes: number;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly clients: number;
  readonly valueBytes: number;
  readonly keys: number;
  readonly seconds: number;
}

export interface NodeMemory {
  readonly id: string;
  readonly rssBytes: number | undefined;
}

export interface BenchReport {
  readonly config: BenchConfig;
  readonly phases: readonly PhaseResult[];
  readonly nodes: readonly NodeMemory[];
  /** CPU the load generator itself used, in % of one core: it shares the machine with the nodes */
  readonly loadCpuPercent?: number;
}

const mb = (bytes: number | undefined): string => (bytes === undefined ? '-' : (bytes / (1024 * 1024)).toFixed(1));

/** The human-readable result, meant to be pasted into a README or a note as it is. */
export function formatReport(report: BenchReport): string {
  const c = report.config;
  const lines = [
    `ringkv bench: ${c.nodes} nodes N=${c.n} R=${c.r} W=${c.w}, ${c.clients} clients (closed loop), ${c.valueBytes}-byte values, ${c.keys} keys, ${c.seconds} s per phase`,
    '',
  ];
  const rows = [['OP', 'OPS', 'OPS/S', 'P50 MS', 'P99 MS', 'MAX MS', 'ERRORS']];
  for (const p of report.phases) {
    rows.push([p.op, String(p.ops), p.opsPerSec.toFixed(0), p.p50Ms.toFixed(2), p.p99Ms.toFixed(2), p.maxMs.toFixed(2), String(p.errors)]);
  }
  lines.push(formatTable(rows));
  for (const p of report.phases) {
    const kinds = Object.entries(p.errorKinds).map(([k, v]) => `${k} x${v}`);
    if (kinds.length > 0) lines.push(`${p.op} errors: ${kinds.join(', ')}`);
    if (p.siblings > 0) lines.push(`${p.op}: ${p.siblings} reads returned siblings (300)`);
  }
  lines.push('', formatTable([['NODE', 'RSS MB'], ...report.nodes.map((n) => [n.id, mb(n.rssBytes)])]));
  if (report.loadCpuPercent !== undefined) lines.push('', `load generator CPU: ${report.loadCpuPercent.toFixed(0)}% of one core`);
  lines.push('');
  return lines.join('\n');
}

/** The same as JSON, for scripts (latencies in ms, memory in bytes). */
export function reportJson(report: BenchReport): string {
  return `${JSON.stringify(
    {
      config: report.config,
      phases: report.phases.map((p) => ({ ...p, opsPerSec: Math.round(p.opsPerSec * 10) / 10, elapsedMs: Math.round(p.elapsedMs) })),
      nodes: report.nodes.map((n) => ({ id: n.id, rssBytes: n.rssBytes ?? null })),
      loadCpuPercent: report.loadCpuPercent === undefined ? null : Math.round(report.loadCpuPercent),
    },
    null,
    2,
  )}\n`;
}
