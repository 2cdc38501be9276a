/**
 * Membership changes (issue 5) on real `ringkv node` processes: grow 3→4 and
 * shrink 4→3 under a live workload, then remove a killed node.
 *
 * The workload's clients each own their keys and write them with the context
 * of their last answer; the ledger records every acknowledged write. After
 * each change every node must store exactly the keys it replicates in the
 * ring the nodes computed (RingExpectation computes the same ring), which
 * means every key is at N copies and no node kept a partition it gave up
 * once the drain period (10 gossip rounds) passed. Gossip and handoff run
 * every 200 ms to keep the file fast. Tests run in order.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RingkvClient } from '@ringkv/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from './local-cluster.js';
import { cliEntry } from './node-process.js';
import { checkAckedReadable, waitForKeyCounts, waitTransfersDone, type NodeRef } from './rebalance-checks.js';
import { AckLedger, DynamicPools, RebalanceWorkload, writeUntilAcked } from './rebalance-workload.js';
import { RingExpectation, minimumOwnersMoved } from './ring-expectation.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';
import { waitFor } from './test-support/wait-for.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));

const keyCount = 1000;
const clients = 4;
const valueBytes = 40;
const keys = Array.from({ length: keyCount }, (_, i) => `m-${i}`);
const transferTimeoutMs = 30_000;
/** drain (10 gossip rounds = 2 s) plus a handoff round to drop, with room for a slow machine */
const settleTimeoutMs = 20_000;

describe.skipIf(!serverBuilt)('membership changes under a live workload (N=3 R=2 W=2, Q=256)', () => {
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;
  let admin: RingkvClient;
  const pools = new DynamicPools(2, 3000);
  const ledger = new AckLedger();
  const ring = new RingExpectation(['n1', 'n2', 'n3']);
  /** the nodes the workload sends to */
  let serving: string[] = [];
  let workload: RebalanceWorkload | undefined;
  let staleReads = 0;

  const ref = (id: string): NodeRef => ({ id, url: cluster.node(id).httpUrl });
  const refs = (...ids: string[]): NodeRef[] => ids.map(ref);

  function startWorkload(): void {
    workload = new RebalanceWorkload({ clients, keys, ledger, nodes: () => serving, pools, valueBytes, seed: 5 });
    workload.start();
  }

  async function stopWorkload(): Promise<RebalanceWorkload> {
    const w = workload;
    if (w === undefined) throw new Error('no workload running');
    workload = undefined;
    await w.stop();
    staleReads += w.counters.staleReads;
    return w;
  }

  /** Commits one staged change on `via`, checks its movement against the minimum, and mirrors it. */
  async function commitChange(via: string, change: { join?: string[]; leave?: string[]; remove?: string[] }): Promise<number> {
    const before = ring.ownerCounts();
    const after = [...ring.members.filter((m) => !(change.leave ?? []).includes(m) && !(change.remove ?? []).includes(m)), ...(change.join ?? [])];
    const plan = await admin.clusterCommit({ node: cluster.node(via).httpUrl });
    const mirrored = ring.apply({
      join: (change.join ?? []).map((id) => ({ id, weight: 1 })),
      ...(change.leave === undefined ? {} : { leave: change.leave }),
      ...(change.remove === undefined ? {} : { remove: change.remove }),
    });
    expect(plan.nextEpoch).toBe(ring.epoch);
    expect(plan.ownersMoved).toBe(minimumOwnersMoved(before, after, 256));
    expect(plan.ownersMoved).toBe(mirrored.ownersMoved);
    expect(plan.transfers).toBe(mirrored.transfers);
    return plan.nextEpoch;
  }

  async function expectEveryNodeHoldsItsKeys(nodes: readonly NodeRef[]): Promise<void> {
    const expected = ring.expectedKeyCounts(keys);
    const result = await waitForKeyCounts(admin, nodes, expected, settleTimeoutMs);
    const seen = Object.fromEntries(nodes.map((n) => [n.id, result.counts.get(n.id)]));
    const want = Object.fromEntries(nodes.map((n) => [n.id, expected.get(n.id) ?? 0]));
    expect(seen, 'keys stored per node (each key at exactly its N replicas, nothing kept after the drain)').toEqual(want);
    expect([...expected.values()].reduce((a, b) => a + b, 0)).toBe(3 * keyCount);
  }

  beforeAll(async () => {
    temp = await startTempCluster('membership', {
      nodes: 3,
      n: 3,
      r: 2,
      w: 2,
      extraArgs: ['--log-level', 'warn', '--gossip-interval-ms', '200', '--handoff-interval-ms', '200', '--request-timeout-ms', '1500'],
    });
    cluster = temp.cluster;
    admin = new RingkvClient({ nodes: cluster.urls(), timeoutMs: 10_000, connectionsPerNode: 2 });
    expect(await cluster.sealRing()).toBe(1);
    ring.apply({});
    serving = cluster.urls();
    let turn = 0;
    const url = (): string => serving[turn++ % serving.length] ?? '';
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < keys.length; i = next++) await writeUntilAcked(pools, url, ledger, keys[i] ?? '', valueBytes);
      }),
    );
  });

  afterAll(async () => {
    await workload?.stop();
    await pools.close();
    await admin?.close();
    await temp?.dispose();
    if (staleReads > 0) console.info(`membership test: ${staleReads} reads (R=2) missed an acknowledged write (W=2) during the changes`);
  });
  printNodeLogsOnFailure(() => temp?.cluster);

  it('grows 3→4 under the workload: minimal movement, then every node holds exactly the keys it replicates', async () => {
    startWorkload();
    const n4 = await cluster.add();
    expect(n4.id).toBe('n4');
    // The sealed ring does not take a node in by itself: it owns nothing until the join is committed.
    const seen = await waitFor(async () => (await admin.status(cluster.node('n1').httpUrl)).members.find((m) => m.id === 'n4' && m.state === 'alive'), {
      what: 'n1 to know n4',
    });
    expect(seen.partitionsOwned).toBe(0);
    await admin.clusterStage('join', 'n4', { node: cluster.node('n1').httpUrl });
    const epoch = await commitChange('n1', { join: ['n4'] });
    await waitTransfersDone(admin, refs('n1', 'n2', 'n3', 'n4'), epoch, transferTimeoutMs);
    serving = [...serving, n4.httpUrl];
    await expectEveryNodeHoldsItsKeys(refs('n1', 'n2', 'n3', 'n4'));
    const w = await stopWorkload();
    expect(w.counters.ok).toBeGreaterThan(0);
    const check = await checkAckedReadable(cluster.urls(), ledger, { r: 3 });
    expect(check.unreadable).toEqual([]);
    expect(check.lost).toEqual([]);
  });

  it('shrinks 4→3 under the workload (n4 leaves): nothing acknowledged is lost, n4 ends with nothing', async () => {
    startWorkload();
    // An operator takes the leaving node out of the load balancer first.
    serving = serving.filter((u) => u !== cluster.node('n4').httpUrl);
    await admin.clusterStage('leave', 'n4', { node: cluster.node('n2').httpUrl });
    const epoch = await commitChange('n2', { leave: ['n4'] });
    await waitTransfersDone(admin, refs('n1', 'n2', 'n3', 'n4'), epoch, transferTimeoutMs);
    await expectEveryNodeHoldsItsKeys(refs('n1', 'n2', 'n3', 'n4'));
    await cluster.kill('n4', 'SIGTERM');
    const w = await stopWorkload();
    expect(w.counters.ok).toBeGreaterThan(0);
    const urls = refs('n1', 'n2', 'n3').map((n) => n.url);
    const check = await checkAckedReadable(urls, ledger, { r: 3 });
    expect(check.unreadable).toEqual([]);
    expect(check.lost).toEqual([]);
    expect(ledger.ackedKeys().length).toBe(keyCount);
  });

  it('removes a killed node: its partitions refill from the surviving replicas, every key back at N copies', async () => {
    const n5 = await cluster.add();
    expect(n5.id).toBe('n5');
    await waitFor(async () => (await admin.status(cluster.node('n1').httpUrl)).members.some((m) => m.id === 'n5' && m.state === 'alive'), {
      what: 'n1 to know n5',
    });
    await admin.clusterStage('join', 'n5', { node: cluster.node('n1').httpUrl });
    const joined = await commitChange('n1', { join: ['n5'] });
    await waitTransfersDone(admin, refs('n1', 'n2', 'n3', 'n5'), joined, transferTimeoutMs);
    await expectEveryNodeHoldsItsKeys(refs('n1', 'n2', 'n3', 'n5'));

    startWorkload();
    serving = refs('n1', 'n3', 'n5').map((n) => n.url);
    await cluster.kill('n2');
    // remove is refused while the failure detector still counts n2 as up.
    await waitFor(
      async () => {
        try {
          await admin.clusterStage('remove', 'n2', { node: cluster.node('n1').httpUrl });
          return true;
        } catch (err) {
          if (/alive/.test(String(err))) return false;
          throw err;
        }
      },
      { what: 'n1 to accept the removal of the killed n2', timeoutMs: 15_000, intervalMs: 200 },
    );
    const epoch = await commitChange('n1', { remove: ['n2'] });
    await waitTransfersDone(admin, refs('n1', 'n3', 'n5'), epoch, transferTimeoutMs);
    await expectEveryNodeHoldsItsKeys(refs('n1', 'n3', 'n5'));
    await stopWorkload();
    // Every key answered by all three of its primaries (none of which is n2 now).
    const urls = refs('n1', 'n3', 'n5').map((n) => n.url);
    const check = await checkAckedReadable(urls, ledger, { r: 3, pr: 3 });
    expect(check.unreadable).toEqual([]);
    expect(check.lost).toEqual([]);
  });
});
