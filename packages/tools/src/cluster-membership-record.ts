import type { ClusterRecord, RecordedNode } from './cluster-record.js';

/** A node that left the ring (or was removed from it): kept so its id and ports are never reused. */
export interface DepartedNode {
  readonly id: string;
  readonly index: number;
  readonly dataDir: string;
  readonly logFile: string;
  readonly how: 'leave' | 'remove' | 'never-joined';
  readonly at: string;
}

/**
 * cluster.json as `add` and `remove` keep it: the running members in `nodes`
 * (what down, status, kill and start work from) and the departed ones beside
 * them. The other commands rewrite the record with `{ ...record }`, which keeps
 * the extra field.
 */
export type MembershipRecord = ClusterRecord & { readonly departed?: readonly DepartedNode[] };

/** The id number the next added node gets: past every node this cluster ever had. */
export function nextNodeIndex(record: MembershipRecord): number {
  const used = [...record.nodes.map((n) => n.index), ...(record.departed ?? []).map((d) => d.index)];
  return Math.max(0, ...used) + 1;
}

export function withAddedNode(record: MembershipRecord, node: RecordedNode): MembershipRecord {
  return { ...record, nodes: [...record.nodes.filter((n) => n.id !== node.id), node] };
}

export function withDepartedNode(record: MembershipRecord, id: string, how: DepartedNode['how'], at = new Date()): MembershipRecord {
  const node = record.nodes.find((n) => n.id === id);
  if (node === undefined) return record;
  const departed: DepartedNode = { id, index: node.index, dataDir: node.dataDir, logFile: node.logFile, how, at: at.toISOString() };
  return { ...record, nodes: record.nodes.filter((n) => n.id !== id), departed: [...(record.departed ?? []).filter((d) => d.id !== id), departed] };
}

/**
 * The `ringkv node` flags every node of the cluster was started with beyond
 * the standard ones (`up -- <flags>`): whatever follows `--w <w>` in a
 * recorded node's arguments, without its own `--weight`.
 */
export function sharedNodeFlags(node: RecordedNode): string[] {
  const at = node.args.indexOf('--w');
  const rest = at < 0 ? [] : node.args.slice(at + 2);
  const out: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (arg === '--weight') {
      i++;
      continue;
    }
    if (arg.startsWith('--weight=')) continue;
    out.push(arg);
  }
  return out;
}
