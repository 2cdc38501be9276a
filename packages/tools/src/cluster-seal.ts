import { resolve } from 'node:path';
import { RingkvClient } from '@ringkv/client';
import { pickAdminNode, sealIfBootstrap, sleep, waitForEpoch } from './cluster-admin-steps.js';
import { readClusterRecord } from './cluster-record.js';
import { httpUrl } from './node-process.js';
import { runningNodes } from './recorded-node-stop.js';
import { scriptClient } from './cluster-client.js';

/**
 * `scripts/cluster up` seals the ring once every node is up: until the first
 * commit a cluster runs on its bootstrap ring, derived from the members each
 * node knows, and a node started later (`scripts/cluster add`) would be taken
 * into the ring at once, without any transfer, leaving its partitions empty.
 * Returns 0 when sealed (or sealed already), 1 when it could not be done.
 */
export async function sealRecordedCluster(data: string, say: (line: string) => void): Promise<number> {
  const record = await readClusterRecord(resolve(data));
  if (record === undefined) return 1;
  const running = await runningNodes(record.nodes);
  const client = scriptClient(running, running.length === 0 ? ['http://127.0.0.1:1'] : running.map(httpUrl), 10_000);
  try {
    const admin = await pickAdminNode(client, running);
    if (admin === undefined) {
      say('could not seal the ring: no node answers /health');
      return 1;
    }
    const sealed = await sealIfBootstrap(client, httpUrl(admin));
    if (sealed.sealed) {
      await waitForEpoch(client, running.map(httpUrl), sealed.epoch, 20_000);
      say(`sealed the ring as epoch ${sealed.epoch}: a node started later owns nothing until it joins (scripts/cluster add)`);
    }
    return 0;
  } catch (err) {
    say(`could not seal the ring: ${err instanceof Error ? err.message : String(err)} (seal it with: ringkv cluster commit)`);
    return 1;
  } finally {
    await client.close();
  }
}

/**
 * For a foreground `up`, which only returns on Ctrl-C: seals the ring as soon
 * as this process has recorded the cluster (it does that once every node is
 * healthy and sees the others). Returns a function that stops waiting.
 */
export function sealOnceRecorded(data: string, supervisorPid: number, say: (line: string) => void): () => void {
  let stopped = false;
  void (async () => {
    while (!stopped) {
      const record = await readClusterRecord(resolve(data)).catch(() => undefined);
      if (record !== undefined && record.supervisorPid === supervisorPid) {
        await sealRecordedCluster(data, say);
        return;
      }
      await sleep(200);
    }
  })();
  return () => {
    stopped = true;
  };
}
