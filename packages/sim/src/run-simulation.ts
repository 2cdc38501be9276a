import { partitionOfKey } from '@ringkv/core';
import { checkHistory, type FinalKeyState, type Violation } from './checker.js';
import { allFaults, healAll, scheduleFaults, type FaultLog, type FaultOptions } from './faults.js';
import { History } from './history.js';
import { Prng } from './prng.js';
import { SimCluster, defaultSimClusterOptions, type SimClusterOptions } from './sim-cluster.js';
import { defaultWorkload, startWorkload, type WorkloadOptions } from './workload.js';

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
  const cluster = await SimCluster.create({ ...opts.cluster, seed: opts.seed });
  const { scheduler } = cluster;
  const prng = new Prng(opts.seed ^ 0x5eed);
  const history = new History();
  const faultLog: FaultLog[] = [];
  startWorkload(cluster, history, prng.fork(), opts.workload);
  scheduleFaults(cluster, prng.fork(), opts.workload.durationMs, opts.faults, faultLog);
  await scheduler.runFor(opts.workload.durationMs);

  healAll(cluster);
  // Let in-flight requests finish or time out, restarted nodes boot and gossip.
  await scheduler.runFor(opts.cluster.requestTimeoutMs * 3 + opts.cluster.gossipIntervalMs * 10);
  const finals = await converge(cluster, opts.workload.keys);
  const { n, r, w } = opts.cluster.params;
  const violations: Violation[] = checkHistory(history.ops, finals, {
    strictQuorums: r + w > n,
    clients: opts.workload.clients,
  });
  for (const e of cluster.errors) violations.push({ property: 'node-error', key: '-', detail: `${e.node}: ${e.msg} ${e.detail}` });
  const count = (o: string): number => history.ops.filter((x) => x.outcome === o).length;
  return {
    seed: opts.seed,
    violations,
    history,
    faultLog,
    simulatedMs: scheduler.elapsedMs,
    events: scheduler.eventsRun,
    ops: { total: history.ops.length, ok: count('ok'), fail: count('fail'), info: count('info') },
  };
}

/** Reads every key at R=N (twice, so read repair completes) and collects each replica's record. */
async function converge(cluster: SimCluster, keys: number): Promise<FinalKeyState[]> {
  const { params } = cluster.options;
  const finals: FinalKeyState[] = [];
  for (let k = 0; k < keys; k++) {
    const key = `k${k}`;
    const bytes = enc.encode(key);
    const reader = cluster.liveNodes()[0];
    if (reader?.node === undefined) throw new Error('no live node after healing');
    for (let round = 0; round < 2; round++) {
      await cluster.run(reader.node.coordinator.get(bytes, params.n).catch(() => undefined));
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
