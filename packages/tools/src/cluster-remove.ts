import { resolve } from 'node:path';
import { RingkvClient, RingkvHttpError } from '@ringkv/client';
import { followTransfers, memberState, pickAdminNode, sealIfBootstrap, sleep, waitNoPendingTransfers } from './cluster-admin-steps.js';
import { withDepartedNode, type MembershipRecord } from './cluster-membership-record.js';
import { findRecordedNode, processMarkers, readClusterRecord, writeClusterRecord, type RecordedNode } from './cluster-record.js';
import { httpUrl } from './node-process.js';
import { isOurProcess } from './process-liveness.js';
import { runningNodes, stopRecordedNodes } from './recorded-node-stop.js';
import { scriptClient } from './cluster-client.js';

const previousTransfersTimeoutMs = 600_000;
/** how long the failure detector may take to call a killed node dead before `remove` is accepted */
const deadTimeoutMs = 60_000;
/** a node that left keeps what it gave up for a drain period (10 gossip rounds), then drops it */
const dropTimeoutMs = 120_000;

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/**
 * `scripts/cluster remove NODE`. A running node leaves: stage leave and
 * commit, wait until its transfers are done and it has dropped the copies it
 * gave up (its writes of the drain period are forwarded by then), then stop it.
 * A dead node is removed: stage remove and commit; its partitions get new
 * owners, which fill themselves from the surviving replicas.
 * Either way it goes from `nodes` to `departed` in cluster.json.
 */
export async function clusterRemove(data: string, ref: string): Promise<number> {
  const dataDir = resolve(data);
  const record = (await readClusterRecord(dataDir)) as MembershipRecord | undefined;
  if (record === undefined) {
    say(`no cluster was started in ${dataDir} (no cluster.json)`);
    return 1;
  }
  let node: RecordedNode;
  try {
    node = findRecordedNode(record, ref);
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    return 1;
  }
  const others = await runningNodes(record.nodes.filter((n) => n.id !== node.id));
  const client = scriptClient([node], [httpUrl(node), ...others.map(httpUrl)], 10_000);
  try {
    const admin = await pickAdminNode(client, others);
    if (admin === undefined) {
      say(`no other node of the cluster is running and healthy: nothing can take ${node.id}'s partitions`);
      return 1;
    }
    const adminUrl = httpUrl(admin);
    const processRuns = node.pid !== null && (await isOurProcess(node.pid, processMarkers(node)));
    const healthy = processRuns && (await client.health(httpUrl(node)));
    if (processRuns && !healthy) {
      say(`${node.id} runs (pid ${node.pid ?? '?'}) but does not answer /health: kill it first (scripts/cluster kill ${node.id}) to remove it, or bring it back healthy to let it leave`);
      return 1;
    }
    const sealed = await sealIfBootstrap(client, adminUrl);
    if (sealed.sealed) say(`sealed the bootstrap ring as epoch ${sealed.epoch} (it was still epoch 0)`);
    const ring = await client.clusterStatus({ node: adminUrl });
    if (!ring.members.some((m) => m.id === node.id)) {
      // Started by `add` but never joined (or already gone): nothing to hand off.
      if (processRuns) await stopRecordedNodes([node]);
      await writeClusterRecord(dataDir, withDepartedNode(record, node.id, 'never-joined'));
      process.stdout.write(`${node.id} owns no partitions (not a ring member)${processRuns ? '; stopped it' : ''}; removed it from the cluster record\n`);
      return 0;
    }
    await waitNoPendingTransfers(client, adminUrl, previousTransfersTimeoutMs, say);
    await client.clusterClear({ node: adminUrl });
    if (healthy) {
      await client.clusterStage('leave', node.id, { node: adminUrl });
    } else {
      await stageRemoveOnceDead(client, adminUrl, node.id);
    }
    const plan = await client.clusterCommit({ node: adminUrl });
    const how = healthy ? 'leave' : 'remove';
    process.stdout.write(
      `committed epoch ${plan.nextEpoch} on ${admin.id}: ${how} ${node.id}: ${plan.ownersMoved} partitions change owner, ${plan.transfers} transfers (estimated ${plan.estimatedSeconds} s)\n`,
    );
    const code = await followTransfers(adminUrl);
    if (code !== 0) return code;
    if (healthy) {
      await waitUntilDropped(client, node);
      await stopRecordedNodes([node]);
      say(`stopped ${node.id}`);
    }
    const latest = ((await readClusterRecord(dataDir)) as MembershipRecord | undefined) ?? record;
    await writeClusterRecord(dataDir, withDepartedNode(latest, node.id, how));
    process.stdout.write(
      healthy
        ? `${node.id} left the cluster and was stopped; its data directory ${node.dataDir} is no longer used\n`
        : `${node.id} was removed; its partitions are back at N copies on the other nodes\n`,
    );
    return 0;
  } finally {
    await client.close();
  }
}

/** Stages the removal as soon as the admin node's failure detector no longer counts the node as up. */
async function stageRemoveOnceDead(client: RingkvClient, admin: string, id: string): Promise<void> {
  const deadline = Date.now() + deadTimeoutMs;
  let told = false;
  for (;;) {
    try {
      await client.clusterStage('remove', id, { node: admin });
      return;
    } catch (err) {
      const alive = err instanceof RingkvHttpError && err.status === 400 && /alive/.test(err.message);
      if (!alive || Date.now() >= deadline) throw err;
    }
    if (!told) say(`${id} is not running; waiting until ${admin} sees it down (now: ${(await memberState(client, admin, id)) ?? '?'}) …`);
    told = true;
    await sleep(500);
  }
}

/** Until the leaving node stores nothing: it dropped what it gave up after the drain period. */
async function waitUntilDropped(client: RingkvClient, node: RecordedNode): Promise<void> {
  const deadline = Date.now() + dropTimeoutMs;
  let told = false;
  for (;;) {
    let left: number | undefined;
    try {
      left = (await client.status(httpUrl(node))).keysStored;
    } catch {
      left = undefined;
    }
    if (left === 0) {
      if (told) say(`${node.id} dropped every copy it gave up`);
      return;
    }
    if (Date.now() >= deadline) {
      say(`${node.id} still stores ${left ?? '?'} keys after ${dropTimeoutMs / 1000} s; stopping it anyway (its transfers are all done)`);
      return;
    }
    if (!told && left !== undefined) say(`waiting for ${node.id} to drop the ${left} keys it gave up (it forwards late writes for a drain period first) …`);
    told ||= left !== undefined;
    await sleep(500);
  }
}
