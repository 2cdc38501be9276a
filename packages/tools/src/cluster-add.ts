import { dirname, join, resolve } from 'node:path';
import { RingkvClient } from '@ringkv/client';
import { followTransfers, pickAdminNode, sealIfBootstrap, waitForEpoch, waitNoPendingTransfers, waitUntilKnown } from './cluster-admin-steps.js';
import { nextNodeIndex, sharedNodeFlags, withAddedNode, type MembershipRecord } from './cluster-membership-record.js';
import { readClusterRecord, withNodePid, writeClusterRecord, type RecordedNode } from './cluster-record.js';
import { takenPorts } from '@ringkv/node';
import { tailFile } from './log-tail.js';
import { RUN_HEADER_PREFIX, httpUrl, nodeArgs, rpcAddress, spawnNode, type NodeSpec } from './node-process.js';
import { runningNodes } from './recorded-node-stop.js';
import { waitUntilReady } from './wait-ready.js';
import { scriptClient } from './cluster-client.js';

const readyTimeoutMs = 30_000;
const knownTimeoutMs = 20_000;
/** a commit waits for the previous epoch's transfers; a large one may take a while */
const previousTransfersTimeoutMs = 600_000;

export interface AddFlags {
  readonly data: string;
  readonly weight?: number;
}

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/**
 * `scripts/cluster add`: start one more node (next id and ports, the cluster's
 * N/R/W and flags, every running node as a seed), wait until the cluster knows
 * it, stage its join and commit (sealing the bootstrap ring first if needed),
 * then show the transfers until they are done.
 */
export async function clusterAdd(flags: AddFlags): Promise<number> {
  const dataDir = resolve(flags.data);
  const record = (await readClusterRecord(dataDir)) as MembershipRecord | undefined;
  if (record === undefined) {
    say(`no cluster was started in ${dataDir} (no cluster.json); use scripts/cluster up first`);
    return 1;
  }
  const running = await runningNodes(record.nodes);
  const template = running[0] ?? record.nodes[0];
  if (running.length === 0 || template === undefined) {
    say(`no node of the cluster in ${dataDir} is running; start it first (scripts/cluster up)`);
    return 1;
  }
  const client = scriptClient(running, running.map(httpUrl), 10_000);
  try {
    const admin = await pickAdminNode(client, running);
    if (admin === undefined) {
      say(`no running node answers /health (${running.map((n) => n.id).join(', ')})`);
      return 1;
    }
    const adminUrl = httpUrl(admin);
    const down = record.nodes.filter((n) => !running.includes(n)).map((n) => n.id);
    if (down.length > 0) say(`note: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} not running; transfers from or to ${down.length === 1 ? 'it' : 'them'} wait until ${down.length === 1 ? 'it is' : 'they are'} back`);

    // Before the new node exists: a node still on the bootstrap ring would take it into the ring at once, without a transfer.
    const sealed = await sealIfBootstrap(client, adminUrl);
    if (sealed.sealed) {
      say(`sealed the bootstrap ring as epoch ${sealed.epoch} (it was still epoch 0)`);
      await waitForEpoch(client, running.map(httpUrl), sealed.epoch, knownTimeoutMs);
    }

    const spec = planAddedNode(record, template, running, flags);
    const taken = await takenPorts([spec.httpPort, spec.rpcPort], spec.host);
    if (taken.length > 0) {
      say(`cannot add ${spec.id}: port ${taken.join(' and ')} already in use on ${spec.host}. Nothing was started.`);
      return 1;
    }
    say(`starting ${spec.id} on ${httpUrl(spec)} (rpc ${rpcAddress(spec)}), data ${spec.dataDir} …`);
    const child = spawnNode(spec, { keepAfterExit: true });
    let exitReason: string | undefined;
    child.once('exit', (code, signal) => {
      exitReason = signal === null ? `exited with code ${code ?? '?'}` : `was killed by ${signal}`;
    });
    child.once('error', (err) => {
      exitReason = `could not be started: ${err.message}`;
    });
    // Recorded at once, so that `down` stops it whatever happens next.
    let current: MembershipRecord = withAddedNode(record, { ...spec, pid: child.pid ?? null });
    await writeClusterRecord(dataDir, current);
    try {
      await waitUntilReady(client, { id: spec.id, url: httpUrl(spec), members: running.length + 1, failure: () => exitReason }, Date.now() + readyTimeoutMs);
      await waitUntilKnown(client, adminUrl, spec.id, knownTimeoutMs);
    } catch (err) {
      const tail = await tailFile(spec.logFile, 20, { sinceLineStartingWith: RUN_HEADER_PREFIX });
      say(`${err instanceof Error ? err.message : String(err)}\nlast lines of ${spec.logFile}:\n${tail.replace(/^/gm, '  ')}`);
      if (exitReason === undefined) child.kill('SIGKILL');
      current = withNodePid(current, spec.id, null) as MembershipRecord;
      await writeClusterRecord(dataDir, { ...current, nodes: current.nodes.filter((n) => n.id !== spec.id) });
      return 1;
    }
    say(`${spec.id} is up and known to ${admin.id}`);

    await waitNoPendingTransfers(client, adminUrl, previousTransfersTimeoutMs, say);
    await client.clusterClear({ node: adminUrl });
    await client.clusterStage('join', spec.id, { node: adminUrl });
    const plan = await client.clusterCommit({ node: adminUrl });
    process.stdout.write(
      `committed epoch ${plan.nextEpoch} on ${admin.id}: join ${spec.id}: ${plan.ownersMoved} partitions change owner, ${plan.transfers} transfers (estimated ${plan.estimatedSeconds} s)\n`,
    );
    const code = await followTransfers(adminUrl);
    if (code !== 0) return code;
    const owned = (await client.status(httpUrl(spec))).partitionsOwned;
    process.stdout.write(`${spec.id} joined: it owns ${owned ?? '?'} partitions. Remove it again with: scripts/cluster remove ${spec.id}${dataFlag(flags.data)}\n`);
    return 0;
  } finally {
    await client.close();
  }
}

/** The next node: id and ports past every node the cluster ever had, the same flags, every running node a seed. */
function planAddedNode(record: MembershipRecord, template: RecordedNode, running: readonly NodeSpec[], flags: AddFlags): NodeSpec {
  const index = nextNodeIndex(record);
  const { basePort, n, r, w } = record.params;
  if (index > 100 || basePort + 100 + index - 1 > 65535) throw new RangeError(`no room for node n${index} with base port ${basePort}`);
  const id = `n${index}`;
  const host = template.host;
  const httpPort = basePort + index - 1;
  const rpcPort = basePort + 100 + index - 1;
  const dataDir = join(dirname(template.dataDir), id);
  const extra = sharedNodeFlags(template);
  if (flags.weight !== undefined) extra.push('--weight', String(flags.weight));
  return {
    index,
    id,
    host,
    httpPort,
    rpcPort,
    dataDir,
    logFile: join(dirname(template.logFile), `${id}.log`),
    args: nodeArgs({ id, host, httpPort, rpcPort, dataDir, seeds: running.map(rpcAddress), n, r, w, extraArgs: extra }),
  };
}

function dataFlag(data: string): string {
  return resolve(data) === resolve('data') ? '' : ` --data ${data}`;
}
