import type { ClusterPlan, StagedChange } from '@ringkv/client';
import { compareIds } from './cluster-progress.js';
import { formatTable } from './table-format.js';

/** Text for `ringkv cluster plan` and staged changes: tables, sizes, durations, a progress bar. */

export function isEmpty(s: StagedChange): boolean {
  return s.join.length === 0 && s.leave.length === 0 && s.remove.length === 0;
}

export function describeStaged(s: StagedChange): string {
  const parts: string[] = [];
  if (s.join.length > 0) parts.push(`join ${s.join.map((m) => (m.weight === 1 ? m.id : `${m.id} (weight ${m.weight})`)).join(', ')}`);
  if (s.leave.length > 0) parts.push(`leave ${s.leave.join(', ')}`);
  if (s.remove.length > 0) parts.push(`remove ${s.remove.join(', ')}`);
  return parts.length === 0 ? 'nothing staged' : parts.join('; ');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function formatSeconds(s: number): string {
  if (s < 1) return '< 1 s';
  if (s < 120) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return s < 7200 ? `${m} min ${Math.round(s - m * 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** `[#########...........]`: ASCII, so it reads the same in any terminal and in logs. */
export function progressBar(done: number, total: number, width = 30): string {
  const share = total === 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const full = Math.round(share * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

/**
 * The plan as a table. The server estimates one duration for the whole change
 * (its slowest sender); a node's own estimate is that duration scaled by the
 * keys it moves (in or out) against the slowest sender's.
 */
export function formatPlan(plan: ClusterPlan): string {
  const lines: string[] = [];
  lines.push(`plan: epoch ${plan.epoch} -> ${plan.nextEpoch}: ${describeStaged(plan.staged)}`);
  if (isEmpty(plan.staged)) {
    lines.push(
      plan.epoch === 0
        ? 'nothing staged: a commit now seals the bootstrap ring as epoch 1 (nothing moves)'
        : 'nothing staged: stage a change first (ringkv cluster join|leave|remove NODE)',
    );
    return `${lines.join('\n')}\n`;
  }
  const totalIn = Object.values(plan.nodes).reduce((a, n) => a + n.partitionsIn, 0);
  const keysIn = Object.values(plan.nodes).reduce((a, n) => a + n.keysIn, 0);
  const perTransfer = totalIn === 0 ? 0 : keysIn / totalIn;
  const slowestOut = Math.max(0, ...Object.values(plan.nodes).map((n) => n.partitionsOut * perTransfer));
  // A receiver is fed by several senders at once: it is done when they are, so never later than the whole change.
  const secondsFor = (keys: number): number => (slowestOut === 0 ? 0 : plan.estimatedSeconds * Math.min(1, keys / slowestOut));
  lines.push(
    `${plan.ownersMoved} partitions change owner; ${plan.transfers} key partitions are transferred; ` +
      `about ${count(keysIn)} keys (${formatBytes(Object.values(plan.nodes).reduce((a, n) => a + n.bytesIn, 0))}), ` +
      `estimated ${formatSeconds(plan.estimatedSeconds)}`,
  );
  lines.push('');
  const rows = [['NODE', 'PARTITIONS IN', 'PARTITIONS OUT', 'KEYS IN', 'BYTES IN', 'KEYS OUT', 'EST. TIME']];
  for (const id of Object.keys(plan.nodes).sort(compareIds)) {
    const n = plan.nodes[id];
    if (n === undefined) continue;
    const keysOut = n.partitionsOut * perTransfer;
    rows.push([
      id,
      String(n.partitionsIn),
      String(n.partitionsOut),
      count(n.keysIn),
      formatBytes(n.bytesIn),
      count(keysOut),
      formatSeconds(secondsFor(Math.max(n.keysIn, keysOut))),
    ]);
  }
  lines.push(formatTable(rows));
  if (plan.note !== '') lines.push('', `note: ${plan.note}`);
  return `${lines.join('\n')}\n`;
}
