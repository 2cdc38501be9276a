import { formatTable } from '@ringkv/cli/table-format';

export type BenchRouting = 'any' | 'partition-aware';
export type BenchOp = 'GET' | 'PUT';

/** One measured phase: one routing, one operation, a fixed number of requests in flight for a fixed time. */
export interface RoutingPhaseResult {
  readonly routing: BenchRouting;
  readonly op: BenchOp;
  readonly ops: number;
  readonly errors: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** writes the nodes forwarded to a replica during the phase (sum of /status requests.forwarded) */
  readonly forwarded: number;
}

export interface RoutingBenchConfig {
  readonly nodes: number;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly keys: number;
  readonly valueBytes: number;
  readonly concurrency: number;
  readonly seconds: number;
}

/** The q-quantile (0..1) of latencies already sorted ascending, nearest-rank; 0 when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

export function summarize(
  routing: BenchRouting,
  op: BenchOp,
  latenciesMs: number[],
  errors: number,
  seconds: number,
  forwarded: number,
): RoutingPhaseResult {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { routing, op, ops: sorted.length, errors, seconds, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), forwarded };
}

const ms = (x: number): string => x.toFixed(2);
const pct = (from: number, to: number): string => (from === 0 ? '-' : `${(((to - from) / from) * 100).toFixed(0)}%`);

/** The table of every phase, then per operation the change partition-aware makes over any. */
export function formatRoutingReport(config: RoutingBenchConfig, phases: readonly RoutingPhaseResult[]): string {
  const head = `${config.nodes} nodes, N=${config.n} R=${config.r} W=${config.w}, ${config.keys} keys of ${config.valueBytes} B, ${config.concurrency} in flight, ${config.seconds} s per operation and routing`;
  const rows = [['op', 'routing', 'ops/s', 'p50 ms', 'p99 ms', 'errors', 'forwarded writes']];
  for (const p of phases) {
    rows.push([p.op, p.routing, (p.ops / p.seconds).toFixed(0), ms(p.p50Ms), ms(p.p99Ms), String(p.errors), String(p.forwarded)]);
  }
  const lines = [head, '', formatTable(rows), ''];
  for (const op of ['GET', 'PUT'] as const) {
    const any = phases.find((p) => p.op === op && p.routing === 'any');
    const aware = phases.find((p) => p.op === op && p.routing === 'partition-aware');
    if (any === undefined || aware === undefined) continue;
    lines.push(
      `${op}: partition-aware vs any: p50 ${pct(any.p50Ms, aware.p50Ms)}, p99 ${pct(any.p99Ms, aware.p99Ms)}, ops/s ${pct(any.ops / any.seconds, aware.ops / aware.seconds)}`,
    );
  }
  return lines.join('\n');
}
