import { resolve } from 'node:path';
import { RingkvClient } from '@ringkv/client';
import { findRecordedNode, processMarkers, readClusterRecord, withNodePid, writeClusterRecord } from './cluster-record.js';
import { takenPorts } from '@ringkv/node';
import { tailFile } from './log-tail.js';
import { RUN_HEADER_PREFIX, httpUrl, spawnNode } from './node-process.js';
import { isOurProcess } from './process-liveness.js';
import { waitUntilReady } from './wait-ready.js';
import { scriptClient } from './cluster-client.js';

const readyTimeoutMs = 30_000;

/** `scripts/cluster start NODE`: restart one node with its old data, ports and flags, in the background. */
export async function clusterStart(data: string, ref: string): Promise<number> {
  const dataDir = resolve(data);
  const record = await readClusterRecord(dataDir);
  if (record === undefined) {
    process.stderr.write(`no cluster was started in ${dataDir} (no cluster.json); use scripts/cluster up\n`);
    return 1;
  }
  const node = findRecordedNode(record, ref);
  if (node.pid !== null && (await isOurProcess(node.pid, processMarkers(node)))) {
    process.stderr.write(`${node.id} is already running (pid ${node.pid})\n`);
    return 1;
  }
  const taken = await takenPorts([node.httpPort, node.rpcPort], node.host);
  if (taken.length > 0) {
    process.stderr.write(`cannot start ${node.id}: port ${taken.join(' and ')} already in use on ${node.host}\n`);
    return 1;
  }
  const child = spawnNode(node, { keepAfterExit: true });
  let exitReason: string | undefined;
  child.once('exit', (code, signal) => {
    exitReason = signal === null ? `exited with code ${code ?? '?'}` : `was killed by ${signal}`;
  });
  child.once('error', (err) => {
    exitReason = `could not be started: ${err.message}`;
  });
  const pid = child.pid ?? null;
  await writeClusterRecord(dataDir, withNodePid(record, node.id, pid));
  const client = scriptClient([node], [httpUrl(node)], 2000);
  try {
    await waitUntilReady(client, { id: node.id, url: httpUrl(node), members: record.nodes.length, failure: () => exitReason }, Date.now() + readyTimeoutMs);
  } catch (err) {
    const tail = await tailFile(node.logFile, 20, { sinceLineStartingWith: RUN_HEADER_PREFIX });
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\nlast lines of ${node.logFile}:\n${tail.replace(/^/gm, '  ')}\n`);
    // Not ready is not started: leave nothing half-running behind.
    if (exitReason === undefined) child.kill('SIGKILL');
    await writeClusterRecord(dataDir, withNodePid(record, node.id, null));
    return 1;
  } finally {
    await client.close();
  }
  process.stdout.write(`started ${node.id} (pid ${pid ?? '?'}) on ${httpUrl(node)}, data ${node.dataDir}\n`);
  return 0;
}
