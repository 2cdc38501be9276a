import { spawn } from 'node:child_process';
import type { RingkvClient } from '@ringkv/client';
import { processMarkers, type RecordedNode } from './cluster-record.js';
import { cliEntry, httpUrl } from './node-process.js';
import { isOurProcess } from './process-liveness.js';

/** The steps `scripts/cluster up|add|remove` share: find a node to talk to, seal, wait, follow. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The first recorded node (other than `except`) whose process runs and whose /health answers. */
export async function pickAdminNode(client: RingkvClient, nodes: readonly RecordedNode[], except?: string): Promise<RecordedNode | undefined> {
  for (const node of nodes) {
    if (node.id === except || node.pid === null) continue;
    if (!(await isOurProcess(node.pid, processMarkers(node)))) continue;
    if (await client.health(httpUrl(node))) return node;
  }
  return undefined;
}

/**
 * Seals the bootstrap ring as epoch 1 when the cluster still runs on it: until
 * then every node derives the ring from the members it knows, so a node
 * started later would be absorbed into the ring at once, without a transfer.
 * Returns the epoch afterwards and whether this call sealed it.
 */
export async function sealIfBootstrap(client: RingkvClient, admin: string): Promise<{ epoch: number; sealed: boolean }> {
  const status = await client.clusterStatus({ node: admin });
  if (status.epoch > 0) return { epoch: status.epoch, sealed: false };
  const plan = await client.clusterCommit({ node: admin });
  return { epoch: plan.nextEpoch, sealed: true };
}

/** Until every node in `urls` has learnt epoch `epoch` (or a later one) by gossip. */
export async function waitForEpoch(client: RingkvClient, urls: readonly string[], epoch: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await Promise.all(urls.map((node) => client.clusterStatus({ node }).then((s) => s.epoch, () => -1)));
    if (seen.every((e) => e >= epoch)) return;
    if (Date.now() >= deadline) throw new Error(`not every node learnt ring epoch ${epoch} within ${Math.round(timeoutMs / 1000)} s (${seen.join(', ')})`);
    await sleep(200);
  }
}

/** Until the admin node sees no pending transfer in its epoch (a commit is refused before). */
export async function waitNoPendingTransfers(client: RingkvClient, admin: string, timeoutMs: number, say: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const s = await client.clusterStatus({ node: admin });
    if (s.transfers.pending === 0) return;
    if (!told) say(`waiting for the ${s.transfers.pending} pending transfers of epoch ${s.epoch} to finish first …`);
    told = true;
    if (Date.now() >= deadline) throw new Error(`${s.transfers.pending} transfers of epoch ${s.epoch} still pending after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(500);
  }
}

/**
 * Shows the transfers as `ringkv cluster status --watch` does, by running it:
 * the operator sees the same progress bar here as with the CLI. Resolves with
 * its exit code once no transfer is pending.
 */
export function followTransfers(admin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry(), 'cluster', 'status', '--watch', '--node', admin], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 130)));
  });
}

/** Until `id` is in the admin node's member table (it learnt of the new node by gossip). */
export async function waitUntilKnown(client: RingkvClient, admin: string, id: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const s = await client.status(admin);
      if (s.members.some((m) => m.id === id && m.state !== 'dead')) return;
    } catch {
      // the admin node is busy; ask again
    }
    if (Date.now() >= deadline) throw new Error(`${admin} did not learn of ${id} within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(200);
  }
}

/** How the admin node's failure detector judges `id` now. */
export async function memberState(client: RingkvClient, admin: string, id: string): Promise<string | undefined> {
  const s = await client.status(admin);
  return s.members.find((m) => m.id === id)?.state;
}
