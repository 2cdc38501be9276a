import { mkdir } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { processMarkers, readClusterRecord, writeClusterRecord, type ClusterRecord } from './cluster-record.js';
import { takenPorts } from '@ringkv/node';
import { LocalCluster } from './local-cluster.js';
import { isOurProcess } from './process-liveness.js';
import { stopRecordedNodes } from './recorded-node-stop.js';
import { formatTable } from '@ringkv/cli/table-format';

export interface UpFlags {
  readonly nodes: number;
  readonly basePort: number;
  readonly data: string;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly detach: boolean;
  readonly nodeArgs: readonly string[];
}

/** `scripts/cluster up`: start the nodes, record them, and (in the foreground) stop them on Ctrl-C. */
export async function clusterUp(flags: UpFlags): Promise<number> {
  const dataDir = resolve(flags.data);
  const refusal = await whyNotStart(flags, dataDir);
  if (refusal !== undefined) {
    process.stderr.write(`${refusal}\nNothing was started.\n`);
    return 1;
  }
  await mkdir(dataDir, { recursive: true });
  let stopping = false;
  process.stderr.write(`starting ${flags.nodes} node${flags.nodes === 1 ? '' : 's'} in ${dataDir} …\n`);
  const cluster = await LocalCluster.start({
    nodes: flags.nodes,
    basePort: flags.basePort,
    dataDir,
    n: flags.n,
    r: flags.r,
    w: flags.w,
    extraArgs: flags.nodeArgs,
    keepAfterExit: flags.detach,
    onNodeExit: (id, reason) => {
      if (!stopping) process.stderr.write(`node ${id} ${reason}\n`);
    },
  });
  const record: ClusterRecord = {
    version: 1,
    startedAt: new Date().toISOString(),
    detached: flags.detach,
    supervisorPid: flags.detach ? null : process.pid,
    params: { nodes: flags.nodes, basePort: flags.basePort, n: flags.n, r: flags.r, w: flags.w },
    nodes: Array.from({ length: cluster.size }, (_, i) => {
      const { index, id, host, httpPort, rpcPort, dataDir: nodeDir, logFile, args, pid } = cluster.node(i);
      return { index, id, host, httpPort, rpcPort, dataDir: nodeDir, logFile, args, pid: pid ?? null };
    }),
  };
  await writeClusterRecord(dataDir, record);
  process.stdout.write(describeCluster(record, flags));

  if (flags.detach) {
    await cluster.release();
    process.stdout.write(`\nRunning in the background. Stop with: scripts/cluster down${dataFlag(flags.data)}\n`);
    return 0;
  }
  process.stdout.write('\nPress Ctrl-C to stop all nodes.\n');
  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    process.once('SIGINT', resolveSignal);
    process.once('SIGTERM', resolveSignal);
  });
  stopping = true;
  process.stderr.write(`\n${signal}: stopping all nodes …\n`);
  await cluster.stop();
  // Nodes restarted meanwhile with `scripts/cluster start` run detached from us; stop them too.
  const latest = (await readClusterRecord(dataDir)) ?? record;
  await stopRecordedNodes(latest.nodes);
  await writeClusterRecord(dataDir, { ...latest, supervisorPid: null, nodes: latest.nodes.map((n) => ({ ...n, pid: null })) });
  process.stderr.write('all nodes stopped\n');
  return 0;
}

/** A running cluster in the same directory, or any port taken, stops `up` before it starts anything. */
async function whyNotStart(flags: UpFlags, dataDir: string): Promise<string | undefined> {
  const problems: string[] = [];
  const previous = await readClusterRecord(dataDir).catch(() => undefined);
  if (previous !== undefined) {
    const alive: string[] = [];
    for (const node of previous.nodes) {
      if (node.pid !== null && (await isOurProcess(node.pid, processMarkers(node)))) alive.push(`${node.id} pid ${node.pid}`);
    }
    if (alive.length > 0) {
      problems.push(`A cluster started from ${dataDir} is still running (${alive.join(', ')}); stop it with: scripts/cluster down${dataFlag(flags.data)}`);
    }
  }
  const labelled = new Map<number, string>();
  for (let i = 0; i < flags.nodes; i++) {
    labelled.set(flags.basePort + i, `n${i + 1} HTTP`);
    labelled.set(flags.basePort + 100 + i, `n${i + 1} RPC`);
  }
  const taken = await takenPorts([...labelled.keys()].sort((x, y) => x - y));
  if (taken.length > 0) {
    const list = taken.map((p) => `${p} (${labelled.get(p) ?? '?'})`).join(', ');
    problems.unshift(`Port${taken.length > 1 ? 's' : ''} already in use on 127.0.0.1: ${list}. Pick another --base-port or stop what uses ${taken.length > 1 ? 'them' : 'it'}.`);
  }
  return problems.length === 0 ? undefined : problems.join('\n');
}

function dataFlag(data: string): string {
  return resolve(data) === resolve('data') ? '' : ` --data ${data}`;
}

function describeCluster(record: ClusterRecord, flags: UpFlags): string {
  const rows = [['NODE', 'HTTP', 'RPC', 'PID', 'LOG']];
  for (const n of record.nodes) {
    rows.push([n.id, `http://${n.host}:${n.httpPort}`, `${n.host}:${n.rpcPort}`, String(n.pid ?? '-'), relative(process.cwd(), n.logFile) || n.logFile]);
  }
  const first = record.nodes[0];
  const second = record.nodes[1] ?? first;
  const url = (n: typeof first): string => (n === undefined ? '' : `http://${n.host}:${n.httpPort}`);
  return [
    `ringkv cluster up: ${record.nodes.length} node${record.nodes.length === 1 ? '' : 's'}, N=${flags.n} R=${flags.r} W=${flags.w}`,
    '',
    formatTable(rows),
    '',
    'Try:',
    `  curl -i -X PUT -H 'Content-Type: text/plain' --data 'hello' ${url(first)}/kv/greeting`,
    `  curl -i ${url(second)}/kv/greeting`,
    `  scripts/cluster status${dataFlag(flags.data)}`,
    '',
  ].join('\n');
}
