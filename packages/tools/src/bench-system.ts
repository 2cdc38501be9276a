import type { KvDriver } from './bench-driver.js';
import type { ServerProcess } from './bench-resources.js';
import type { SiblingCounts } from './bench-siblings.js';

export type SystemName = 'ringkv' | 'fastify' | 'redis' | 'etcd';
export const PEER_NAMES: readonly SystemName[] = ['fastify', 'redis', 'etcd'];

/** A system the suite started and measures; stopped (every process, by PID) when done with. */
export interface RunningSystem {
  readonly name: SystemName;
  /** one line on what it is and what an acknowledged write is worth */
  readonly description: string;
  /** false for the fastify no-op server: it stores nothing, so there is nothing to load */
  readonly stores: boolean;
  createDriver(clients: number): KvDriver;
  /**
   * Brings the loaded store to the state it settles in (ringkv: a full
   * LevelDB compaction on every node), so the workloads measure steady reads
   * rather than the compactions a fresh bulk load leaves due. Returns the
   * milliseconds it took (the slowest process).
   */
  compactAfterLoad?(): Promise<number>;
  processes(): readonly ServerProcess[];
  /** ringkv: its nodes' ringkv_kv_siblings totals, read before and after each workload run */
  siblingCounts?(): Promise<SiblingCounts>;
  stop(): Promise<void>;
}

/** A peer that could not be started because it is not installed: says how to install it. */
export interface SkippedSystem {
  readonly name: SystemName;
  readonly skipped: string;
}

export interface StartContext {
  /** an empty temp directory for this system's data and logs (removed by the caller) */
  readonly dir: string;
  readonly valueBytes: number;
}
