/**
 * A backup finds writes that live only in a fallback's hinted copy: 3 nodes
 * with auth tokens, N=2 W=2, hinted handoff and anti-entropy held back. With
 * n3 down, writes to keys whose replicas are n1 and n3 are acknowledged by n1
 * and by n2 as a stand-in (a hint for n3). n3 comes back (without the writes:
 * its hints are not delivered yet) and n1 goes down: the only copies left are
 * n2's hints, and a backup that read replicas alone would miss every key.
 * Also runs the backup with the cluster's token (a secured cluster).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackupFileReader, RingkvClient, backupCluster } from '@ringkv/client';
import { encodeKey, partitionOfKey } from '@ringkv/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from './local-cluster.js';
import { cliEntry } from './node-process.js';
import { http } from './test-support/raw-http.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';
import { waitFor } from './test-support/wait-for.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));
const token = 'backup-hints-test-token-0123456789';

describe.skipIf(!serverBuilt)('backup of writes held only as hints', { timeout: 120_000 }, () => {
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;
  let dir = '';
  const clients: RingkvClient[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ringkv-backup-hints-'));
    temp = await startTempCluster('backup-hints', {
      nodes: 3,
      n: 2,
      r: 1,
      w: 2,
      security: { authToken: token },
      extraArgs: [
        '--log-level', 'warn', '--partitions', '16', '--gossip-interval-ms', '200',
        // hints stay with the fallback and replicas stay apart until the backup
        '--handoff-interval-ms', '600000', '--ae-interval-ms', '600000',
      ],
    });
    cluster = temp.cluster;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await temp?.dispose();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });
  printNodeLogsOnFailure(() => temp?.cluster);

  const status = async (i: number): Promise<{ members: { id: string; state: string }[]; hintsPending: Record<string, number> }> =>
    (await http(cluster.node(i).httpUrl, '/status', { headers: { authorization: `Bearer ${token}` } })).json() as never;

  it('merges the hinted copies in: every key is in the backup', async () => {
    const client = new RingkvClient({ nodes: cluster.urls(), timeoutMs: 5000, token, routing: 'any' });
    clients.push(client);
    const router = new RingkvClient({ nodes: cluster.urls(), timeoutMs: 5000, token });
    clients.push(router);
    const ring = await router.refreshRing();
    if (ring === undefined) throw new Error('no ring');
    const [n1, n2, n3] = [0, 1, 2].map((i) => cluster.node(i).id);
    const keys: string[] = [];
    for (let i = 0; keys.length < 12; i++) {
      const replicas = ring.partitions[partitionOfKey(encodeKey(`h${i}`), ring.partitionCount)] ?? [];
      if (replicas.includes(n1 ?? '') && replicas.includes(n3 ?? '')) keys.push(`h${i}`);
    }

    await cluster.kill(2);
    await waitFor(async () => (await Promise.all([0, 1].map(status))).every((s) => s.members.find((m) => m.id === n3)?.state !== 'alive'), {
      what: `${n3} seen down by the others`,
    });
    // through n2, which is no replica of these keys: n1 and the stand-in n2 acknowledge
    for (const key of keys) await client.put(key, `v-${key}`, { node: cluster.node(1).httpUrl });
    expect((await status(1)).hintsPending[n3 ?? '']).toBe(keys.length);

    await cluster.restart(2);
    // the backup skips replicas the ring reports dead: n3 must be seen back first
    await waitFor(async () => (await status(1)).members.find((m) => m.id === n3)?.state === 'alive', { what: `${n3} seen back by n2` });
    await cluster.kill(0);
    // still undelivered: n2 is the only holder of these writes now
    expect((await status(1)).hintsPending[n3 ?? '']).toBe(keys.length);

    const summary = await backupCluster({ nodes: [cluster.node(1).httpUrl, cluster.node(2).httpUrl], out: join(dir, 'b.ringkv'), minReplicas: 1, token });
    expect(summary.hintReads).toBeGreaterThan(0);
    const backedUp = new Map<string, string[]>();
    const reader = await BackupFileReader.open(join(dir, 'b.ringkv'));
    for await (const e of reader.entries()) {
      backedUp.set(e.key.toString('utf8'), e.record.siblings.map((s) => Buffer.from(s.value ?? []).toString('utf8')));
    }
    for (const key of keys) expect(backedUp.get(key), key).toEqual([`v-${key}`]);
  });

  it('is refused without the token', async () => {
    await expect(backupCluster({ nodes: [cluster.node(1).httpUrl], out: join(dir, 'c.ringkv'), minReplicas: 1 })).rejects.toThrow(/401|UNAUTHORIZED|token/i);
  });
});
