import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Prng } from '@ringkv/core';
import { KeyChooser, KeyCounter } from './bench-keys.js';
import { loadRecords } from './bench-load.js';
import { formatEta, type ProgressLine } from './bench-progress.js';
import { summarizeLoad, summarizeWorkload, type BenchConfig, type LoadSummary, type PhaseUsage, type SystemReport, type WorkloadSummary } from './bench-report.js';
import { markUsage, usageSince, type ServerProcess } from './bench-resources.js';
import { startRingkv } from './bench-ringkv.js';
import { runWorkload, type WorkloadStats } from './bench-run.js';
import { siblingsBetween } from './bench-siblings.js';
import type { RunningSystem, SkippedSystem, StartContext, SystemName } from './bench-system.js';
import { ValueSource } from './bench-values.js';
import { WORKLOADS } from './bench-workloads.js';
import { startEtcdPeer } from './peer-etcd.js';
import { startFastifyPeer } from './peer-fastify.js';
import { startRedisPeer } from './peer-redis.js';

/** Added to a workload's seed for its warm-up, so the measured run replays the same sequence with or without one. */
const warmupSeedOffset = 7919;

export interface SuiteContext {
  readonly config: BenchConfig;
  /** this run's temp directory; each system gets a subdirectory */
  readonly rootDir: string;
  readonly progress: ProgressLine;
  readonly aborted: () => boolean;
}

function start(name: SystemName, ctx: StartContext, config: BenchConfig): Promise<RunningSystem | SkippedSystem> {
  switch (name) {
    case 'ringkv':
      return startRingkv(ctx, { nodes: config.nodes, n: config.n, r: config.r, w: config.w, sync: config.sync, dw: config.dw ?? 0, policy: config.policy ?? 'siblings', cacheMb: config.cacheMb, maxOpenFiles: config.maxOpenFiles, tableReads: config.tableReads, writeBufferMb: config.writeBufferMb });
    case 'fastify':
      return startFastifyPeer(ctx);
    case 'redis':
      return startRedisPeer(ctx);
    case 'etcd':
      return startEtcdPeer(ctx);
  }
}

/**
 * Starts one system, loads it, runs every workload against it and stops it
 * (also when something fails), measuring its processes all along. Systems run
 * one after another, so none competes with another for the CPUs.
 */
export async function benchSystem(name: SystemName, s: SuiteContext): Promise<SystemReport | SkippedSystem> {
  const { config, progress } = s;
  const dir = join(s.rootDir, name);
  await mkdir(dir, { recursive: true });
  progress.done(`${name}: starting in ${dir} …`);
  let system: RunningSystem | SkippedSystem;
  try {
    system = await start(name, { dir, valueBytes: config.valueBytes }, config);
  } catch (err) {
    const failure = `could not start: ${err instanceof Error ? err.message : String(err)}`;
    progress.done(`${name}: ${failure}`);
    return { name, description: name, load: undefined, workloads: [], usage: [], failure };
  }
  if ('skipped' in system) {
    progress.done(`${name}: skipped: ${system.skipped}`);
    return system;
  }
  // The load generator (this process) is measured too: on a small machine it may be what limits a fast peer.
  const running: RunningSystem = system;
  const measured = (): ServerProcess[] => [...running.processes(), { label: 'bench', pid: process.pid }];
  const usage: PhaseUsage[] = [];
  const workloads: WorkloadSummary[] = [];
  let load: LoadSummary | undefined;
  let compactMs: number | undefined;
  let failure: string | undefined;
  const driver = system.createDriver(Math.max(config.clients, config.loadClients));
  const values = new ValueSource(config.valueBytes, new Prng(config.seed));
  const counter = new KeyCounter(config.records);
  try {
    if (system.stores) {
      const mark = await markUsage(measured());
      const result = await loadRecords({
        driver,
        records: config.records,
        clients: config.loadClients,
        values,
        seed: config.seed,
        aborted: s.aborted,
        onProgress: (written, elapsedMs) => {
          const rate = written / Math.max(0.001, elapsedMs / 1000);
          const pct = ((written / config.records) * 100).toFixed(1);
          progress.update(`${name} load ${written}/${config.records} (${pct}%)  ${rate.toFixed(0)} records/s  ETA ${formatEta((config.records - written) / rate)}`);
        },
      });
      load = summarizeLoad(result);
      usage.push({ phase: 'load', processes: await usageSince(mark, measured()) });
      progress.done();
      if (result.failedKeys > 0) progress.done(`${name}: ${result.failedKeys} keys could not be loaded; reads of them count as NOT_FOUND errors`);
      if (config.compact && system.compactAfterLoad !== undefined && !s.aborted()) {
        progress.update(`${name}: compacting LevelDB on every node after the load (--no-compact skips this) …`);
        compactMs = await system.compactAfterLoad();
        progress.done(`${name}: compacted after the load in ${(compactMs / 1000).toFixed(1)} s`);
      }
    }
    for (const workloadName of config.workloads) {
      if (s.aborted()) break;
      const workload = WORKLOADS[workloadName];
      const keys = new KeyChooser(workload, config.distribution, counter);
      // One workload phase with its per-second progress line: `label` is "warm-up " or "".
      const phase = (label: string, seconds: number, seed: number): Promise<WorkloadStats> => {
        let lastOps = 0;
        let lastMs = 0;
        progress.update(`${name} ${workloadName} ${label}0/${seconds} s`);
        return runWorkload({
          driver,
          workload,
          keys,
          values,
          clients: config.clients,
          durationMs: seconds * 1000,
          seed,
          aborted: s.aborted,
          onTick: (ops, errors, elapsedMs) => {
            const rate = ((ops - lastOps) * 1000) / Math.max(1, elapsedMs - lastMs);
            lastOps = ops;
            lastMs = elapsedMs;
            const sec = Math.min(seconds, Math.round(elapsedMs / 1000));
            progress.update(`${name} ${workloadName} ${label}${sec}/${seconds} s  ${ops} ops  ${rate.toFixed(0)} ops/s  errors ${errors}`);
          },
        });
      };
      const seed = config.seed + workloadName.charCodeAt(0);
      // Read before the warm-up, which then absorbs what a /metrics scrape costs the nodes for a while.
      const siblingsBefore = await running.siblingCounts?.();
      const warmupS = config.warmupS ?? 0;
      if (warmupS > 0) {
        // Same workload, its own request sequence, nothing recorded: what follows is measured on warm processes.
        await phase('warm-up ', warmupS, seed + warmupSeedOffset);
        if (s.aborted()) break;
      }
      const mark = await markUsage(measured());
      const stats = await phase('', config.durationS, seed);
      usage.push({ phase: workloadName, processes: await usageSince(mark, measured()) });
      const siblingsAfter = await running.siblingCounts?.();
      const siblingsPerOp = siblingsBefore === undefined || siblingsAfter === undefined ? undefined : siblingsBetween(siblingsBefore, siblingsAfter);
      const summary = { ...summarizeWorkload(workloadName, stats), ...(siblingsPerOp !== undefined && { siblingsPerOp }) };
      workloads.push(summary);
      const all = summary.ops.at(-1);
      progress.done(`${name} ${workloadName}: ${all?.opsPerSec.toFixed(0) ?? 0} ops/s, p99 ${all?.p99Ms.toFixed(1) ?? '-'} ms, ${all?.errors ?? 0} errors`);
    }
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
    progress.done(`${name}: failed: ${failure}`);
  } finally {
    await driver.close().catch(() => undefined);
    await system.stop().catch((err: unknown) => progress.done(`${name}: stopping failed: ${String(err)}`));
  }
  return { name, description: system.description, load, ...(compactMs !== undefined && { compactMs }), workloads, usage, failure };
}
