import { resolve } from 'node:path';
import { findRecordedNode, readClusterRecord, withNodePid, writeClusterRecord } from './cluster-record.js';
import { stopRecordedNodes } from './recorded-node-stop.js';

/** `scripts/cluster kill NODE`: kill -9 one node, as a crash would. */
export async function clusterKill(data: string, ref: string): Promise<number> {
  const dataDir = resolve(data);
  const record = await readClusterRecord(dataDir);
  if (record === undefined) {
    process.stderr.write(`no cluster was started in ${dataDir} (no cluster.json)\n`);
    return 1;
  }
  const node = findRecordedNode(record, ref);
  const killed = await stopRecordedNodes([node], 'SIGKILL');
  await writeClusterRecord(dataDir, withNodePid(record, node.id, null));
  if (killed.length === 0) {
    process.stderr.write(`${node.id} is not running\n`);
    return 1;
  }
  process.stdout.write(`killed ${node.id} (pid ${node.pid ?? '?'}) with SIGKILL; restart it with: scripts/cluster start ${node.id}${data === 'data' || resolve(data) === resolve('data') ? '' : ` --data ${data}`}\n`);
  return 0;
}
