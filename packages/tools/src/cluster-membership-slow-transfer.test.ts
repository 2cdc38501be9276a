/**
 * A join whose partition transfers each take longer than the drain period
 * (10 gossip rounds): the new replica must keep what it receives while the
 * transfer runs. Made slow on purpose with few, large partitions (Q=16), one
 * record per handoff batch and a 50 ms gossip round (drain 500 ms);
 * anti-entropy is slowed down so that it cannot hide a missing copy.
 * At default settings the same happens when a partition takes more than 5 s
 * to stream (about 15k keys at the measured 3k keys/s), or when a transfer
 * is interrupted for longer than that and resumes from its checkpoint.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RingkvClient } from '@ringkv/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from './local-cluster.js';
import { cliEntry } from './node-process.js';
import { waitForKeyCounts, waitTransfersDone } from './rebalance-checks.js';
import { AckLedger, DynamicPools, writeUntilAcked } from './rebalance-workload.js';
import { RingExpectation } from './ring-expectation.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));
const partitions = 16;
const keys = Array.from({ length: 3000 }, (_, i) => `slow-${i}`);

describe.skipIf(!serverBuilt)('a join whose transfers outlast the drain period', () => {
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;
  let admin: RingkvClient;
  const pools = new DynamicPools(4, 5000);

  beforeAll(async () => {
    temp = await startTempCluster('slow-transfer', {
      nodes: 3,
      extraArgs: [
        '--log-level', 'info', '--partitions', String(partitions),
        '--gossip-interval-ms', '50', '--handoff-interval-ms', '50', '--handoff-batch', '1', '--ae-interval-ms', '3600000',
      ],
    });
    cluster = temp.cluster;
    admin = new RingkvClient({ nodes: cluster.urls(), timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await pools.close();
    await admin?.close();
    await temp?.dispose();
  });
  printNodeLogsOnFailure(() => temp?.cluster, 15);

  it('leaves the new node with every key of the partitions it received', async () => {
    await cluster.sealRing();
    const ring = new RingExpectation(['n1', 'n2', 'n3'], partitions, 3);
    ring.apply({});
    const urls = cluster.urls();
    const ledger = new AckLedger();
    let turn = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = next++; i < keys.length; i = next++) await writeUntilAcked(pools, () => urls[turn++ % urls.length] ?? '', ledger, keys[i] ?? '', 50);
      }),
    );
    const n4 = await cluster.add();
    await admin.clusterStage('join', n4.id, { node: urls[0] ?? '' });
    const plan = await admin.clusterCommit({ node: urls[0] ?? '' });
    ring.apply({ join: [{ id: n4.id, weight: 1 }] });
    const refs = ['n1', 'n2', 'n3', 'n4'].map((id) => ({ id, url: cluster.node(id).httpUrl }));
    await waitTransfersDone(admin, refs, plan.nextEpoch, 60_000);
    const expected = ring.expectedKeyCounts(keys);
    const settled = await waitForKeyCounts(admin, refs, expected, 10_000);
    const n4Totals = (await admin.clusterStatus({ node: n4.httpUrl })).handoffTotals;
    // n4 only receives in this change: it has nothing to give up, so it must not drop anything.
    expect(n4Totals.keysDropped, 'keys n4 dropped while receiving them').toBe(0);
    expect(Object.fromEntries(settled.counts)).toEqual(Object.fromEntries(expected));
  });
});
