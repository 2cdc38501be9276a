import { resolve } from 'node:path';
import type { MembershipRecord } from './cluster-membership-record.js';
import { readClusterRecord } from './cluster-record.js';

/**
 * `up` starts n1..n<nodes> afresh from the flags. A cluster whose membership
 * changed (`add`, `remove`) keeps its ring on disk, and starting only
 * n1..n<nodes> of it would leave partitions owned by nodes that are not started
 * (and forget them in cluster.json). Such a cluster is restarted node by node.
 * Returns why `up` must not run, or undefined.
 */
export async function whyNotUpAgain(data: string, nodes: number): Promise<string | undefined> {
  const record = (await readClusterRecord(resolve(data)).catch(() => undefined)) as MembershipRecord | undefined;
  if (record === undefined) return undefined;
  const fresh = new Set(Array.from({ length: nodes }, (_, i) => `n${i + 1}`));
  const changed = record.nodes.some((n) => !fresh.has(n.id)) || (record.departed ?? []).length > 0;
  if (!changed) return undefined;
  const dataFlag = resolve(data) === resolve('data') ? '' : ` --data ${data}`;
  return (
    `the cluster in ${resolve(data)} changed membership since it was started (nodes now: ${record.nodes.map((n) => n.id).join(', ')}` +
    `${(record.departed ?? []).length > 0 ? `; departed: ${(record.departed ?? []).map((d) => d.id).join(', ')}` : ''}), ` +
    `so "up" would not start the nodes that own its partitions. Start each node instead: ` +
    `${record.nodes.map((n) => `scripts/cluster start ${n.id}${dataFlag}`).join('; ')} — or use a fresh --data directory.`
  );
}
