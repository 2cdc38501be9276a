import type { WindowStats } from './rebalance-workload.js';
import { formatTable } from '@ringkv/cli/table-format';

/** What `scripts/rebalance-bench` measures, and how it prints it. */

export interface RebalanceConfig {
  readonly keys: number;
  readonly clients: number;
  readonly valueBytes: number;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly partitions: number;
  readonly nodeFlags: readonly string[];
}

export interface ChangeResult {
  /** e.g. "join n4" */
  readonly change: string;
  readonly nodesBefore: number;
  readonly nodesAfter: number;
  readonly epoch: number;
  /** partitions whose owner changed, as the plan reported it */
  readonly ownersMoved: number;
  /** the least a balanced ring allows (computed here from the owner counts before the change) */
  readonly ownersMovedMinimum: number;
  readonly transfers: number;
  /** what the plan estimated (the server assumes a fixed handoff rate per sender) */
  readonly estimatedSeconds: number;
  /** commit → every node holds the new epoch with no transfer pending */
  readonly transferSeconds: number;
  /** commit → every node stores exactly the keys it replicates (new copies filled, given-up ones dropped) */
  readonly settledSeconds: number | null;
  readonly keysHandedOff: number;
  readonly bytesHandedOff: number;
  readonly keysPerSecond: number;
  readonly megabytesPerSecond: number;
  /** the workload's requests sent between the commit and the end of the transfers */
  readonly clients: WindowStats;
}

export interface RebalanceReport {
  readonly config: RebalanceConfig;
  readonly load: { readonly keys: number; readonly seconds: number; readonly keysPerSecond: number };
  readonly baseline: WindowStats;
  readonly changes: readonly ChangeResult[];
  readonly whole: WindowStats;
  readonly final: {
    readonly keysChecked: number;
    readonly writesAcknowledged: number;
    readonly lost: number;
    readonly lostExamples: readonly { key: string; acked: number; read: number[] }[];
    readonly unreadable: number;
    readonly unreadableExamples: readonly { key: string; error: string }[];
    readonly checkSeconds: number;
    /** per node: keys stored vs keys it replicates */
    readonly stored: Readonly<Record<string, { stored: number | null; expected: number }>>;
    readonly storedTotal: number;
    readonly expectedTotal: number;
    readonly everyKeyAtN: boolean;
    readonly staleReads: number;
    readonly staleExamples: readonly { key: string; acked: number; read: number[]; at: number }[];
  };
  /** why the run failed its acceptance figures (empty: passed) */
  readonly failures: readonly string[];
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
const secs = (x: number | null): string => (x === null ? '-' : `${x.toFixed(1)} s`);

export function formatRebalanceReport(r: RebalanceReport): string {
  const c = r.config;
  const out: string[] = [];
  out.push(
    `rebalance-bench: ${c.keys} keys of ${c.valueBytes} B, ${c.clients} clients running throughout; N=${c.n} R=${c.r} W=${c.w} Q=${c.partitions}` +
      `; node flags: ${c.nodeFlags.length === 0 ? '(defaults)' : c.nodeFlags.join(' ')}`,
  );
  out.push(`load: ${r.load.keys} keys in ${r.load.seconds.toFixed(1)} s (${Math.round(r.load.keysPerSecond)} keys/s)`);
  const b = r.baseline;
  out.push(`baseline, no change (${b.requests} requests): ${b.perSecond} req/s, success ${pct(b.successRate)}, p50 ${b.p50Ms} ms, p99 ${b.p99Ms} ms`);
  out.push('');
  const rows = [
    ['CHANGE', 'NODES', 'OWNERS MOVED', 'MINIMUM', 'RATIO', 'TRANSFERS', 'EST.', 'TIME', 'SETTLED', 'KEYS MOVED', 'KEYS/S', 'MB/S', 'CLIENT OK', 'P99 MS', 'REQ/S'],
  ];
  for (const ch of r.changes) {
    rows.push([
      ch.change,
      `${ch.nodesBefore}->${ch.nodesAfter}`,
      String(ch.ownersMoved),
      String(ch.ownersMovedMinimum),
      ch.ownersMovedMinimum === 0 ? '-' : (ch.ownersMoved / ch.ownersMovedMinimum).toFixed(2),
      String(ch.transfers),
      `${ch.estimatedSeconds} s`,
      secs(ch.transferSeconds),
      secs(ch.settledSeconds),
      String(ch.keysHandedOff),
      String(Math.round(ch.keysPerSecond)),
      ch.megabytesPerSecond.toFixed(2),
      pct(ch.clients.successRate),
      String(ch.clients.p99Ms),
      String(ch.clients.perSecond),
    ]);
  }
  out.push(formatTable(rows));
  out.push('');
  out.push("EST.: the plan's estimate. TIME: commit until every node holds the new epoch with no transfer pending.");
  out.push('SETTLED: until every node stores exactly the keys it replicates (given-up copies dropped after the drain period).');
  out.push("KEYS/S, MB/S: handed off during TIME (handoff totals). CLIENT OK, P99, REQ/S: the workload's requests sent during TIME.");
  for (const ch of r.changes) {
    const errs = Object.entries(ch.clients.errors);
    if (errs.length > 0) out.push(`  ${ch.change}: client errors ${errs.map(([k, v]) => `${k}×${v}`).join(', ')}`);
  }
  out.push('');
  const w = r.whole;
  out.push(`whole run (${w.requests} requests): success ${pct(w.successRate)}, p50 ${w.p50Ms} ms, p99 ${w.p99Ms} ms, max ${w.maxMs} ms`);
  const f = r.final;
  out.push(
    `acknowledged writes lost: ${f.lost} (checked the last acknowledged write of ${f.keysChecked} keys with r=${c.n} in ${f.checkSeconds.toFixed(1)} s; ` +
      `${f.writesAcknowledged} writes acknowledged in all; ${f.unreadable} keys unreadable)`,
  );
  for (const l of f.lostExamples) out.push(`  lost: ${l.key} acknowledged #${l.acked}, read [${l.read.join(', ')}]`);
  for (const u of f.unreadableExamples) out.push(`  unreadable: ${u.key}: ${u.error}`);
  const per = Object.entries(f.stored)
    .map(([id, s]) => `${id} ${s.stored ?? '?'}/${s.expected}`)
    .join(', ');
  out.push(
    `every key at N=${c.n} replicas: ${f.everyKeyAtN ? 'yes' : 'NO'} (keys stored ${f.storedTotal}, expected ${f.expectedTotal} = ${c.n} x ${c.keys}; per node stored/expected: ${per})`,
  );
  out.push(`reads (R=${c.r}) that missed an acknowledged write (W=${c.w}) during the run: ${f.staleReads}`);
  for (const s of f.staleExamples.slice(0, 5)) out.push(`  stale: ${s.key} at ${(s.at / 1000).toFixed(1)} s: acknowledged #${s.acked}, read [${s.read.join(', ')}]`);
  out.push(r.failures.length === 0 ? 'PASS' : `FAIL: ${r.failures.join('; ')}`);
  return `${out.join('\n')}\n`;
}
