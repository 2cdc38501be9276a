#!/usr/bin/env node
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RingkvClient } from '@ringkv/client';
import { Command, CommanderError } from 'commander';
import { LocalCluster } from './local-cluster.js';
import { checkAckedReadable, handoffTotals, waitForKeyCounts, waitTransfersDone, type NodeRef } from './rebalance-checks.js';
import { formatRebalanceReport, type ChangeResult, type RebalanceConfig, type RebalanceReport } from './rebalance-bench-report.js';
import { AckLedger, DynamicPools, RebalanceWorkload, sleep, windowStats, writeUntilAcked } from './rebalance-workload.js';
import { RingExpectation, minimumOwnersMoved } from './ring-expectation.js';
import { intIn } from './int-arg.js';
import { exitQuietlyOnEpipe } from './stdout-epipe.js';

exitQuietlyOnEpipe();

interface Flags {
  readonly keys: number;
  readonly clients: number;
  readonly valueBytes: number;
  readonly baselineSeconds: number;
  readonly transferTimeout: number;
  readonly keep: boolean;
  readonly json: boolean;
}

const program = new Command('scripts/rebalance-bench')
  .description(
    'The issue-5 acceptance figures: a fresh 3-node cluster (N=3 R=2 W=2) in a temporary directory, loaded with --keys keys; ' +
      'then, with --clients clients reading and writing throughout, grow 3→5 (two joins, one after the other) and shrink 5→3 ' +
      '(the two new nodes leave). Per change: owner partitions moved vs the minimum, transfers, time, handoff rate, client ' +
      'success rate and p99. At the end: acknowledged writes lost (every key read with r=3) and whether every node stores ' +
      'exactly the keys it replicates (every key at N replicas).',
  )
  .option('--keys <n>', 'keys loaded before the changes (the workload rewrites them)', intIn(1, 10_000_000), 100_000)
  .option('--clients <n>', 'workload clients, each with one request in flight', intIn(1, 1000), 20)
  .option('--value-bytes <n>', 'size of every value', intIn(8, 1024 * 1024), 100)
  .option('--baseline-seconds <s>', 'workload before the first change, for comparison', intIn(1, 3600), 5)
  .option('--transfer-timeout <s>', 'give up on one change after this long', intIn(10, 86_400), 1800)
  .option('--keep', 'keep the data directory (node logs) afterwards', false)
  .option('--json', 'print the report as JSON on stdout', false)
  .argument('[node-flags...]', 'after --, more `ringkv node` flags for every node (e.g. -- --handoff-interval-ms 200)')
  .addHelpText('after', '\nExamples:\n  scripts/rebalance-bench\n  scripts/rebalance-bench --keys 20000 --clients 20 --json > rebalance.json\n')
  .exitOverride();

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function bench(flags: Flags, nodeFlags: readonly string[]): Promise<number> {
  const config: RebalanceConfig = { keys: flags.keys, clients: flags.clients, valueBytes: flags.valueBytes, n: 3, r: 2, w: 2, partitions: 256, nodeFlags };
  let aborted = false;
  const onSignal = (): void => {
    aborted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-rebalance-'));
  let cluster: LocalCluster | undefined;
  let admin: RingkvClient | undefined;
  const pools = new DynamicPools(Math.ceil(flags.clients / 3) + 2, 5000);
  let workload: RebalanceWorkload | undefined;
  let keep = flags.keep;
  const check = (): void => {
    if (aborted) throw new Error('interrupted');
  };
  try {
    say(`starting 3 nodes in ${dir} …`);
    cluster = await LocalCluster.start({ nodes: 3, dataDir: dir, n: 3, r: 2, w: 2, extraArgs: ['--log-level', 'warn', ...nodeFlags] });
    const c = cluster;
    admin = new RingkvClient({ nodes: c.urls(), timeoutMs: 30_000, connectionsPerNode: 2 });
    const a = admin;
    const ring = new RingExpectation(['n1', 'n2', 'n3'], config.partitions, config.n);
    await c.sealRing();
    ring.apply({});
    const ref = (id: string): NodeRef => ({ id, url: c.node(id).httpUrl });
    let members = ['n1', 'n2', 'n3'];
    let serving = c.urls();
    const adminUrl = c.node('n1').httpUrl;

    const keys = Array.from({ length: flags.keys }, (_, i) => `k-${i}`);
    const ledger = new AckLedger();
    say(`loading ${flags.keys} keys …`);
    const loadStarted = performance.now();
    let turn = 0;
    let next = 0;
    const loadTicker = setInterval(() => say(`  ${next} / ${flags.keys}`), 10_000);
    try {
      await Promise.all(
        Array.from({ length: 48 }, async () => {
          for (let i = next++; i < keys.length && !aborted; i = next++) {
            await writeUntilAcked(pools, () => serving[turn++ % serving.length] ?? '', ledger, keys[i] ?? '', flags.valueBytes);
          }
        }),
      );
    } finally {
      clearInterval(loadTicker);
    }
    check();
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    say(`loaded in ${loadSeconds.toFixed(1)} s`);

    workload = new RebalanceWorkload({ clients: flags.clients, keys, ledger, nodes: () => serving, pools, valueBytes: flags.valueBytes, seed: 42 });
    const wl = workload;
    wl.start();
    const baselineFrom = wl.now();
    await sleep(flags.baselineSeconds * 1000);
    const baseline = windowStats(wl.samples, baselineFrom, wl.now());
    check();

    const changes: ChangeResult[] = [];
    const failures: string[] = [];
    const steps: { op: 'join' | 'leave'; id: string }[] = [
      { op: 'join', id: 'n4' },
      { op: 'join', id: 'n5' },
      { op: 'leave', id: 'n5' },
      { op: 'leave', id: 'n4' },
    ];
    for (const step of steps) {
      check();
      const before = ring.ownerCounts();
      const after = step.op === 'join' ? [...members, step.id] : members.filter((m) => m !== step.id);
      if (step.op === 'join') {
        say(`starting ${step.id} …`);
        const info = await c.add();
        if (info.id !== step.id) throw new Error(`the new node is ${info.id}, expected ${step.id}`);
        await waitKnown(a, adminUrl, step.id);
      } else {
        // An operator takes the leaving node out of the load balancer first.
        serving = serving.filter((u) => u !== c.node(step.id).httpUrl);
      }
      const involved = [...new Set([...members, ...after])].map(ref);
      await a.clusterClear({ node: adminUrl });
      await a.clusterStage(step.op, step.id, { node: adminUrl });
      const totalsBefore = await handoffTotals(a, involved);
      const t0 = wl.now();
      const plan = await a.clusterCommit({ node: adminUrl });
      const mirrored = ring.apply(step.op === 'join' ? { join: [{ id: step.id, weight: 1 }] } : { leave: [step.id] });
      if (plan.ownersMoved !== mirrored.ownersMoved || plan.transfers !== mirrored.transfers) {
        failures.push(`${step.op} ${step.id}: the nodes planned ${plan.ownersMoved} moves/${plan.transfers} transfers, the same claim here gives ${mirrored.ownersMoved}/${mirrored.transfers}`);
      }
      say(`committed epoch ${plan.nextEpoch}: ${step.op} ${step.id}, ${plan.ownersMoved} owners moved, ${plan.transfers} transfers …`);
      await waitTransfersDone(a, involved, plan.nextEpoch, flags.transferTimeout * 1000, 250);
      const t1 = wl.now();
      const totalsAfter = await handoffTotals(a, involved);
      if (step.op === 'join') serving = [...serving, c.node(step.id).httpUrl];
      const expected = ring.expectedKeyCounts(keys);
      const settled = await waitForKeyCounts(a, involved, expected, 120_000);
      const t2 = wl.now();
      if (step.op === 'leave') await c.kill(step.id, 'SIGTERM');
      let keysMoved = 0;
      let bytesMoved = 0;
      for (const n of involved) {
        keysMoved += (totalsAfter.get(n.id)?.keysSent ?? 0) - (totalsBefore.get(n.id)?.keysSent ?? 0);
        bytesMoved += (totalsAfter.get(n.id)?.bytesSent ?? 0) - (totalsBefore.get(n.id)?.bytesSent ?? 0);
      }
      const seconds = Math.max(0.001, (t1 - t0) / 1000);
      const minimum = minimumOwnersMoved(before, after, config.partitions);
      const result: ChangeResult = {
        change: `${step.op} ${step.id}`,
        nodesBefore: members.length,
        nodesAfter: after.length,
        epoch: plan.nextEpoch,
        ownersMoved: plan.ownersMoved,
        ownersMovedMinimum: minimum,
        transfers: plan.transfers,
        estimatedSeconds: plan.estimatedSeconds,
        transferSeconds: seconds,
        settledSeconds: settled.matched ? (t2 - t0) / 1000 : null,
        keysHandedOff: keysMoved,
        bytesHandedOff: bytesMoved,
        keysPerSecond: keysMoved / seconds,
        megabytesPerSecond: bytesMoved / seconds / 1e6,
        clients: windowStats(wl.samples, t0, t1),
      };
      changes.push(result);
      if (plan.ownersMoved > 1.1 * minimum) failures.push(`${result.change}: ${plan.ownersMoved} owner partitions moved, more than 1.1 × the minimum ${minimum}`);
      if (!settled.matched) failures.push(`${result.change}: the nodes did not settle on the keys they replicate (${describeCounts(settled.counts, expected)})`);
      say(
        `  done in ${seconds.toFixed(1)} s (settled ${settled.matched ? `${((t2 - t0) / 1000).toFixed(1)} s` : 'NO'}): ${keysMoved} keys handed off, ` +
          `clients ${(result.clients.successRate * 100).toFixed(2)}% ok, p99 ${result.clients.p99Ms} ms`,
      );
      members = after;
    }

    say('stopping the workload …');
    await wl.stop();
    const whole = windowStats(wl.samples, 0, wl.now());
    workload = undefined;
    say(`reading the last acknowledged write of ${flags.keys} keys with r=3 …`);
    const urls = members.map((id) => c.node(id).httpUrl);
    const read = await checkAckedReadable(urls, ledger, { r: 3, concurrency: 32 });
    const expected = ring.expectedKeyCounts(keys);
    const finalCounts = await waitForKeyCounts(a, members.map(ref), expected, 60_000);
    const stored: Record<string, { stored: number | null; expected: number }> = {};
    for (const id of members) stored[id] = { stored: finalCounts.counts.get(id) ?? null, expected: expected.get(id) ?? 0 };
    const storedTotal = Object.values(stored).reduce((s, x) => s + (x.stored ?? 0), 0);
    const expectedTotal = Object.values(stored).reduce((s, x) => s + x.expected, 0);
    if (read.lost.length > 0) failures.push(`${read.lost.length} acknowledged writes lost`);
    if (read.unreadable.length > 0) failures.push(`${read.unreadable.length} keys unreadable with r=3`);
    if (!finalCounts.matched) failures.push('not every key is at N replicas');
    const report: RebalanceReport = {
      config,
      load: { keys: flags.keys, seconds: loadSeconds, keysPerSecond: flags.keys / loadSeconds },
      baseline,
      changes,
      whole,
      final: {
        keysChecked: read.checked,
        writesAcknowledged: ledger.writesAcked,
        lost: read.lost.length,
        lostExamples: read.lost.slice(0, 10),
        unreadable: read.unreadable.length,
        unreadableExamples: read.unreadable.slice(0, 10),
        checkSeconds: read.elapsedMs / 1000,
        stored,
        storedTotal,
        expectedTotal,
        everyKeyAtN: finalCounts.matched && expectedTotal === config.n * flags.keys,
        staleReads: wl.counters.staleReads,
        staleExamples: wl.staleExamples,
      },
      failures,
    };
    if (failures.length > 0) keep = true;
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatRebalanceReport(report));
    if (keep) say(`data and node logs kept in ${dir}`);
    return failures.length === 0 ? 0 : 1;
  } catch (err) {
    keep = true;
    say(`rebalance-bench: ${err instanceof Error ? err.message : String(err)}; data and node logs kept in ${dir}`);
    return aborted ? 130 : 1;
  } finally {
    await workload?.stop().catch(() => undefined);
    await pools.close();
    await admin?.close();
    await cluster?.stop();
    if (!keep) await rm(dir, { recursive: true, force: true });
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

async function waitKnown(client: RingkvClient, admin: string, id: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const s = await client.status(admin).catch(() => undefined);
    if (s?.members.some((m) => m.id === id && m.state === 'alive') === true) return;
    if (Date.now() > deadline) throw new Error(`${admin} did not learn of ${id} in 30 s`);
    await sleep(200);
  }
}

function describeCounts(counts: ReadonlyMap<string, number | undefined>, expected: ReadonlyMap<string, number>): string {
  return [...counts].map(([id, n]) => `${id} ${n ?? '?'}/${expected.get(id) ?? 0}`).join(', ');
}

try {
  program.parse(process.argv);
  process.exitCode = await bench(program.opts<Flags>(), program.args);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`rebalance-bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
