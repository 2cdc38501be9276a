import { resolve } from 'node:path';
import { RingkvClient } from '@ringkv/client';
import { processMarkers, readClusterRecord, type RecordedNode } from './cluster-record.js';
import { httpUrl } from './node-process.js';
import { isOurProcess } from './process-liveness.js';
import { formatTable } from '@ringkv/cli/table-format';
import { scriptClient } from './cluster-client.js';

interface NodeState {
  readonly node: RecordedNode;
  readonly running: boolean;
  readonly healthy: boolean;
  readonly keys: number | undefined;
  readonly members: number | undefined;
}

/** `scripts/cluster status`: per node, whether its process runs, /health, and keys stored. Exit 0 only when all are healthy. */
export async function clusterStatus(data: string, json: boolean): Promise<number> {
  const dataDir = resolve(data);
  const record = await readClusterRecord(dataDir);
  if (record === undefined) {
    process.stderr.write(`no cluster was started in ${dataDir} (no cluster.json)\n`);
    return 1;
  }
  const client = scriptClient(record.nodes, record.nodes.map(httpUrl), 2000);
  let states: NodeState[];
  try {
    states = await Promise.all(record.nodes.map((node) => probe(client, node)));
  } finally {
    await client.close();
  }
  if (json) {
    const out = states.map((s) => ({ id: s.node.id, pid: s.running ? s.node.pid : null, running: s.running, healthy: s.healthy, keys: s.keys ?? null, members: s.members ?? null, http: httpUrl(s.node), rpc: `${s.node.host}:${s.node.rpcPort}` }));
    process.stdout.write(`${JSON.stringify({ dataDir, params: record.params, nodes: out }, null, 2)}\n`);
  } else {
    const { n, r, w } = record.params;
    const mode = states.every((st) => !st.running)
      ? 'no node running'
      : record.detached
        ? 'detached'
        : `foreground, supervisor pid ${record.supervisorPid ?? '?'}`;
    const rows = [['NODE', 'PID', 'PROCESS', 'HEALTH', 'KEYS', 'MEMBERS', 'HTTP', 'RPC']];
    for (const s of states) {
      rows.push([
        s.node.id,
        s.running ? String(s.node.pid) : '-',
        s.running ? 'running' : 'stopped',
        s.healthy ? 'ok' : 'down',
        s.keys === undefined ? '-' : String(s.keys),
        s.members === undefined ? '-' : String(s.members),
        httpUrl(s.node),
        `${s.node.host}:${s.node.rpcPort}`,
      ]);
    }
    process.stdout.write(`cluster in ${dataDir} (${mode}), N=${n} R=${r} W=${w}\n\n${formatTable(rows)}\n`);
  }
  return states.every((s) => s.healthy) ? 0 : 1;
}

async function probe(client: RingkvClient, node: RecordedNode): Promise<NodeState> {
  const running = node.pid !== null && (await isOurProcess(node.pid, processMarkers(node)));
  const url = httpUrl(node);
  const healthy = await client.health(url);
  if (!healthy) return { node, running, healthy, keys: undefined, members: undefined };
  try {
    const status = await client.status(url);
    return { node, running, healthy, keys: status.keysStored, members: status.members.length };
  } catch {
    return { node, running, healthy, keys: undefined, members: undefined };
  }
}
