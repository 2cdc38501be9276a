import { CorruptRecordError } from '@ringkv/storage';
import { encodeCounterKey, mergeRecords, partitionOfKey, recordEquals } from '@ringkv/core';
import { checkHistory, type FinalKeyState, type Violation } from './checker.js';
import { checkCounters, counterKeyName, windowKeyName } from './counter-checker.js';
import { allFaults, healAll, scheduleFaults, type FaultLog, type FaultOptions } from './faults.js';
import { History } from './history.js';
import { Prng } from './prng.js';
import { simEpochMs } from './scheduler.js';
import { SimCluster, defaultSimClusterOptions, type SimClusterOptions } from './sim-cluster.js';
import { defaultWorkload, isLwwKey, lwwKeyName, lwwKeyPrefix, startWorkload, type WorkloadOptions } from './workload.js';

export interface SimulationOptions {
  readonly seed: number;
  readonly cluster: Omit<SimClusterOptions, 'seed'>;
  readonly workload: WorkloadOptions;
  readonly faults: FaultOptions;
}

export interface SimulationResult {
  readonly seed: number;
  readonly violations: readonly Violation[];
  readonly history: History;
  readonly faultLog: readonly FaultLog[];
  readonly simulatedMs: number;
  readonly events: number;
  readonly ops: { readonly total: number; readonly ok: number; readonly fail: number; readonly info: number };
  /** repair work done by the live nodes at the end (earlier lives' counters are lost with them) */
  readonly repair: {
    readonly aeKeysRepaired: number;
    readonly tombstonesReaped: number;
    readonly hintsDelivered: number;
    readonly readRepairs: number;
    /** records whose expired versions a replica purged (by the purger or when storing the key) */
    readonly expiredPurged: number;
    /** stored records and hints found failing their checksum (the corruption fault) */
    readonly corruptFound: number;
    /** of those keys, the ones repaired at once from the other replicas */
    readonly corruptRepaired: number;
    /** new actor generations taken because of them */
    readonly actorsRenewed: number;
  };
  /** each key's replicas on the ring at the end and what each held (to trace a violation) */
  readonly finals: readonly FinalKeyState[];
}

export function simulationOptions(seed: number, overrides: Partial<Omit<SimulationOptions, 'seed'>> = {}): SimulationOptions {
  return {
    seed,
    cluster: overrides.cluster ?? defaultSimClusterOptions,
    workload: overrides.workload ?? defaultWorkload,
    faults: overrides.faults ?? allFaults,
  };
}

const enc = new TextEncoder();

/**
 * One simulated history: start a cluster, run the workload under random
 * faults, heal everything, let repair run, then check every property.
 */
export async function runSimulation(opts: SimulationOptions): Promise<SimulationResult> {
  const lwwKeys = opts.workload.lwwKeys ?? 0;
  const clusterOpts = lwwKeys > 0 ? { ...opts.cluster, lwwPrefixes: [...(opts.cluster.lwwPrefixes ?? []), lwwKeyPrefix] } : opts.cluster;
  const cluster = await SimCluster.create({ ...clusterOpts, seed: opts.seed });
  const violations0: Violation[] = [];
  const { scheduler } = cluster;
  const prng = new Prng(opts.seed ^ 0x5eed);
  const history = new History();
  const faultLog: FaultLog[] = [];
  startWorkload(cluster, history, prng.fork(), opts.workload);
  scheduleFaults(cluster, prng.fork(), opts.workload.durationMs, opts.faults, faultLog);
  await scheduler.runFor(opts.workload.durationMs);

  healAll(cluster, faultLog);
  // Let in-flight requests finish or time out, restarted nodes boot and gossip.
  await scheduler.runFor(opts.cluster.requestTimeoutMs * 3 + opts.cluster.gossipIntervalMs * 10);
  // Let ring transfers finish, then the drain period pass so given-up partitions are dropped.
  for (let waited = 0; cluster.pendingTransferCount() > 0 && waited < 120_000; waited += 1000) await scheduler.runFor(1000);
  if (cluster.pendingTransferCount() > 0) violations0.push({ property: 'transfers-stuck', key: '-', detail: `${cluster.pendingTransferCount()} transfers still pending 120 s after healing` });
  await scheduler.runFor(opts.cluster.gossipIntervalMs * 20);
  // A node that lost its disk must finish recovering once everything is healed (seeds 5, 18, 32, 59 once never did).
  const recovering = (): string[] => cluster.liveNodes().filter((m) => m.node?.recovery.active === true).map((m) => m.id);
  for (let waited = 0; recovering().length > 0 && waited < 120_000; waited += 1000) await scheduler.runFor(1000);
  if (recovering().length > 0) violations0.push({ property: 'recovery-stuck', key: '-', detail: `${recovering().join(', ')} still recovering 120 s after healing` });
  if (opts.faults.corruption === true) {
    // As the weekly scrub would: find what the disks damaged in keys nobody read since, and repair it.
    const live = cluster.liveNodes().map((m) => m.node).filter((x) => x !== undefined);
    await cluster.run(Promise.all(live.map((node) => node.scrub())), 120_000);
    await cluster.run(Promise.all(live.map((node) => node.corruptRecords.settled())), 120_000);
  }
  const kvNames = [...Array.from({ length: opts.workload.keys }, (_, k) => `k${k}`), ...Array.from({ length: lwwKeys }, (_, i) => lwwKeyName(i))];
  const kvKeys = kvNames.map((name) => ({ name, bytes: enc.encode(name) }));
  const counterNames = [...Array.from({ length: opts.workload.counters ?? 0 }, (_, i) => counterKeyName(i)), ...Array.from({ length: opts.workload.windows ?? 0 }, (_, i) => windowKeyName(i))];
  const counterKeys = counterNames.map((name) => ({ name, bytes: encodeCounterKey(name) }));
  const finals = await converge(cluster, kvKeys);
  const counterFinals = await converge(cluster, counterKeys);
  const { n, r, w } = opts.cluster.params;
  const strictQuorums = r + w > n;
  const clockPeakBy = (t: number): number => cluster.clockPeakBy(t);
  const diskLossAt = faultLog.filter((f) => f.what.startsWith('disk-lost')).map((f) => simEpochMs + f.at);
  const copiesLostAt = faultLog.flatMap((f) => (f.key === undefined ? [] : [{ key: f.key, at: simEpochMs + f.at }]));
  const violations: Violation[] = [
    ...violations0,
    ...checkHistory(history.ops, finals, { strictQuorums, quorums: { n, r, w }, clients: opts.workload.clients, clockPeakBy, endedAt: scheduler.now, lwwKey: isLwwKey, diskLossAt, copiesLostAt }),
    ...checkCounters(history.ops, counterFinals, { strictQuorums, quorums: { n, r, w }, clockPeakBy, endedAt: scheduler.now, diskLossAt, copiesLostAt }),
  ];
  violations.push(...(await undeliveredHints(cluster)));
  // A full disk (the diskFull fault) is an error the node must report to its operator, not a broken invariant.
  // So is a record the corruption fault damaged: the node must say so (and repair it).
  const expected = (e: { msg: string; detail: string }): boolean =>
    e.detail.includes('StoreFullError') ||
    (opts.faults.corruption === true && e.msg.includes('failed its checksum')) ||
    // a damaged table block: its records unreadable, scans over it failing, and then every write
    (opts.faults.tableDamage === true && (e.msg.includes('damaged table block') || e.msg.includes('table block holding it damaged') || `${e.msg} ${e.detail}`.includes('stopped taking writes')));
  for (const e of cluster.errors) {
    if (!expected(e)) violations.push({ property: 'node-error', key: '-', detail: `${e.node}: ${e.msg} ${e.detail}` });
  }
  const count = (o: string): number => history.ops.filter((x) => x.outcome === o).length;
  const live = cluster.liveNodes().map((m) => m.node).filter((x) => x !== undefined);
  const sum = (f: (n: (typeof live)[number]) => number): number => live.reduce((a, n) => a + f(n), 0);
  return {
    seed: opts.seed,
    violations,
    history,
    faultLog,
    simulatedMs: scheduler.elapsedMs,
    events: scheduler.eventsRun,
    ops: { total: history.ops.length, ok: count('ok'), fail: count('fail'), info: count('info') },
    repair: {
      aeKeysRepaired: sum((n) => n.antiEntropy.stats.keysRepaired),
      tombstonesReaped: sum((n) => n.gc.stats.reaped),
      hintsDelivered: sum((n) => n.handoff.stats.delivered),
      readRepairs: sum((n) => n.coordinator.stats.readRepairs),
      expiredPurged: sum((n) => n.replica.stats.expiredPurged),
      corruptFound: sum((n) => n.corruptRecords.stats.records + n.corruptRecords.stats.hints),
      corruptRepaired: sum((n) => n.corruptRecords.stats.keysRepaired),
      actorsRenewed: sum((n) => n.replica.stats.actorsRenewed),
    },
    finals: [...finals, ...counterFinals],
  };
}

/** Reads every key at R=N (twice, so read repair completes) and collects each replica's record. */
async function converge(cluster: SimCluster, keys: readonly { readonly name: string; readonly bytes: Uint8Array }[]): Promise<FinalKeyState[]> {
  const { params } = cluster.options;
  const finals: FinalKeyState[] = [];
  for (const { name: key, bytes } of keys) {
    const reader = cluster.liveNodes()[0];
    if (reader?.node === undefined) throw new Error('no live node after healing');
    for (let round = 0; round < 2; round++) {
      await cluster.run(reader.node.coordinator.get({ key: bytes, r: params.n, pr: params.n }).catch(() => undefined));
      await cluster.scheduler.runFor(cluster.options.requestTimeoutMs);
    }
    const partition = partitionOfKey(bytes, params.partitionCount);
    const replicas = new Map<string, Awaited<ReturnType<typeof reader.node.replica.read>>>();
    for (const id of reader.node.view.preferenceList(partition)) {
      const node = cluster.machine(id).node;
      if (node === undefined) throw new Error(`replica ${id} is down after healing`);
      replicas.set(id, await cluster.run(node.replica.read(partition, bytes)));
    }
    finals.push({ key, replicas });
  }
  return finals;
}

/**
 * After healing and a few handoff rounds, a hint may remain only if its data
 * already reached the primary it names (delivery raced a newer write).
 */
async function undeliveredHints(cluster: SimCluster): Promise<Violation[]> {
  await cluster.scheduler.runFor(cluster.options.handoffIntervalMs * 10);
  const out: Violation[] = [];
  for (const m of cluster.machines) {
    const node = m.node;
    if (node === undefined) continue;
    const hints = await cluster.run(collect(node.replica.store.scanHints()));
    for (const h of hints) {
      // A hint found corrupt is dropped (its data is anti-entropy's to bring): nothing left to deliver.
      const hint = await cluster.run(node.replica.readHint(h.partition, h.key)).catch((err: unknown) => {
        if (err instanceof CorruptRecordError) return undefined;
        throw err;
      });
      for (const target of hint?.targets ?? []) {
        if (!cluster.machines.some((x) => x.id === target)) {
          out.push({ property: 'hint-undelivered', key: new TextDecoder().decode(h.key), detail: `${m.id} holds a hint for "${target}", which is no node (a damaged hint?)` });
          continue;
        }
        const owner = cluster.machine(target).node;
        const held = owner === undefined ? undefined : await cluster.run(owner.replica.read(h.partition, h.key));
        const covered = held !== undefined && hint !== undefined && recordEquals(mergeRecords(held, hint.record), held);
        if (!covered) {
          out.push({ property: 'hint-undelivered', key: new TextDecoder().decode(h.key), detail: `${m.id} still holds a hint for ${target} that ${target} lacks` });
        }
      }
    }
  }
  return out;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
