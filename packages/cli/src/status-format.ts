import type { NodeStatus } from '@ringkv/client';
import { formatTable } from './table-format.js';

const dash = '-';

function show(v: string | number | undefined): string {
  return v === undefined ? dash : String(v);
}

/** The human-readable `ringkv status`: who this node is, the cluster's parameters, and the members. */
export function formatStatus(s: NodeStatus, queried: string): string {
  const lines: string[] = [];
  lines.push(`node       ${show(s.id)}  (asked ${queried})`);
  lines.push(`http       ${show(s.httpAddress)}`);
  lines.push(`rpc        ${show(s.rpcAddress)}`);
  const cluster = s.clusterName === undefined ? '' : `${s.clusterName}  `;
  lines.push(`cluster    ${cluster}N=${show(s.n)} R=${show(s.r)} W=${show(s.w)}  partitions ${show(s.partitionCount)}`);
  lines.push(`owns       ${show(s.partitionsOwned)} partitions`);
  lines.push(`stores     ${show(s.keysStored)} keys`);
  lines.push('');
  if (s.members.length === 0) {
    lines.push('members    none known');
  } else {
    lines.push(`members    ${s.members.length}`);
    const rows: string[][] = [['  ID', 'HTTP', 'RPC', 'STATE', 'PARTITIONS']];
    for (const m of s.members) {
      const self = m.id === s.id ? '*' : ' ';
      rows.push([`${self} ${m.id}`, show(m.httpAddress), show(m.rpcAddress), show(m.state), show(m.partitionsOwned)]);
    }
    lines.push(formatTable(rows));
  }
  return `${lines.join('\n')}\n`;
}
