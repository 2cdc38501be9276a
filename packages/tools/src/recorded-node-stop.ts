import { isOurProcess, waitForPidExit } from './process-liveness.js';
import { processMarkers, type RecordedNode } from './cluster-record.js';

const graceMs = 5000;

/**
 * Stops recorded node processes: SIGTERM, then SIGKILL after 5 s. A pid is
 * signalled only while its command line still names that node, so a pid that
 * the system has since given to another program is left alone.
 * Returns the ids that were running.
 */
export async function stopRecordedNodes(nodes: readonly RecordedNode[], signal: NodeJS.Signals = 'SIGTERM'): Promise<string[]> {
  const running = await runningNodes(nodes);
  for (const node of running) signalPid(node.pid, signal);
  await Promise.all(
    running.map(async (node) => {
      if (node.pid === null) return;
      if (signal !== 'SIGKILL' && !(await waitForPidExit(node.pid, graceMs))) signalPid(node.pid, 'SIGKILL');
      await waitForPidExit(node.pid, graceMs);
    }),
  );
  return running.map((n) => n.id);
}

function signalPid(pid: number | null, signal: NodeJS.Signals): void {
  if (pid === null) return;
  try {
    process.kill(pid, signal);
  } catch {
    // exited in the meantime
  }
}

/** The recorded nodes whose process still runs. */
export async function runningNodes(nodes: readonly RecordedNode[]): Promise<RecordedNode[]> {
  const running: RecordedNode[] = [];
  for (const node of nodes) {
    if (node.pid !== null && (await isOurProcess(node.pid, processMarkers(node)))) running.push(node);
  }
  return running;
}
