import { resolve } from 'node:path';
import { readClusterRecord, writeClusterRecord } from './cluster-record.js';
import { isOurProcess, waitForPidExit } from './process-liveness.js';
import { runningNodes, stopRecordedNodes } from './recorded-node-stop.js';

/** Long enough for a foreground `up` to stop its nodes (each gets 5 s before SIGKILL). */
const supervisorGraceMs = 15_000;

/** `scripts/cluster down`: stop every node recorded in the data directory (and a foreground supervisor). */
export async function clusterDown(data: string): Promise<number> {
  const dataDir = resolve(data);
  const record = await readClusterRecord(dataDir);
  if (record === undefined) {
    process.stderr.write(`no cluster was started in ${dataDir} (no cluster.json)\n`);
    return 1;
  }
  const wereRunning = (await runningNodes(record.nodes)).map((n) => n.id);
  // A foreground `up` stops its own nodes in order when told to; let it, then clean up whatever is left.
  const supervisor = record.supervisorPid;
  if (supervisor !== null && (await isOurProcess(supervisor, [process.argv[1] ?? '', 'up']))) {
    process.kill(supervisor, 'SIGTERM');
    // Signalling the nodes at the same time would give each two signals, which means "exit now".
    await waitForPidExit(supervisor, supervisorGraceMs);
  }
  await stopRecordedNodes(record.nodes);
  const latest = (await readClusterRecord(dataDir)) ?? record;
  await writeClusterRecord(dataDir, { ...latest, supervisorPid: null, nodes: latest.nodes.map((n) => ({ ...n, pid: null })) });
  process.stdout.write(wereRunning.length === 0 ? 'no node was running\n' : `stopped ${wereRunning.join(', ')}\n`);
  return 0;
}
