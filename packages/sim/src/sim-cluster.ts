import type { ClusterParams, MemberInfo } from '@ringkv/core';
import { pendingTransfers } from '@ringkv/core';
import { ClusterAdmin, RingkvNode } from '@ringkv/node';
import { CaptureLogger } from './capture-logger.js';
import { MemoryStore, ReplicaStore, StoreDamagedError, loadOrCreateIdentity, markCleanShutdown, renewEpoch } from '@ringkv/storage';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimNetwork } from './sim-network.js';
import { SimProcess } from './sim-process.js';
import { SimStore } from './sim-store.js';
import type { TableDamage } from './table-damage.js';

export interface SimClusterOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly params: ClusterParams;
  readonly requestTimeoutMs: number;
  readonly gossipIntervalMs: number;
  readonly syncWrites: boolean;
  readonly handoffIntervalMs: number;
  readonly aeIntervalMs: number;
  readonly tombstoneGraceMs: number;
  /**
   * Key prefixes under the last-writer-wins policy, on every node (default
   * none). LWW drops concurrent writes by design, so a workload on such keys
   * is the checker's negative control: it must report lost writes.
   */
  readonly lwwPrefixes?: readonly string[];
  /** a scrub's records per second at most (default: no limit) */
  readonly scrubRecordsPerSec?: number;
}

export const defaultSimClusterOptions: Omit<SimClusterOptions, 'seed'> = {
  nodes: 5,
  params: { n: 3, r: 2, w: 2, partitionCount: 64 },
  requestTimeoutMs: 1000,
  gossipIntervalMs: 200,
  syncWrites: false,
  handoffIntervalMs: 300,
  aeIntervalMs: 100,
  tombstoneGraceMs: 1500,
};

/** One simulated machine: its disk outlives its processes. */
export interface SimMachine {
  readonly id: string;
  readonly address: string;
  memory: MemoryStore;
  proc: SimProcess;
  node: RingkvNode | undefined;
  incarnations: number;
  /** the disk is full: every write fails (StoreFullError, as LevelDB's ENOSPC does), reads work */
  diskFull?: boolean;
  /** a table block LevelDB finds damaged: reads in it and scans over it fail, later every write (table-damage.ts) */
  tableDamage?: TableDamage;
}

/**
 * A whole ringkv cluster in one process: real node logic on a simulated
 * clock, network and disks, all driven by one seed.
 */
export class SimCluster {
  readonly scheduler = new Scheduler();
  readonly prng: Prng;
  readonly network: SimNetwork;
  readonly machines: SimMachine[] = [];
  /** error-level log entries of every node, across restarts */
  readonly errors: CaptureLogger['errors'] = [];
  /** every process any machine ran, dead ones included (their clocks judged expiry while they lived) */
  private readonly processes: SimProcess[] = [];
  /** per machine, the last stop or boot queued (see inTurn) */
  private readonly transitions = new Map<string, Promise<void>>();

  private constructor(readonly options: SimClusterOptions) {
    this.prng = new Prng(options.seed);
    this.network = new SimNetwork(this.scheduler, this.prng.fork());
  }

  static async create(options: SimClusterOptions): Promise<SimCluster> {
    const c = new SimCluster(options);
    for (let i = 1; i <= options.nodes; i++) {
      const id = `n${i}`;
      c.machines.push({
        id,
        address: `${id}:7100`,
        memory: new MemoryStore(),
        proc: new SimProcess(id, 0, c.scheduler),
        node: undefined,
        incarnations: 0,
      });
    }
    for (const m of c.machines) await c.run(c.boot(m));
    // Let gossip spread the member table before the workload starts.
    await c.scheduler.runFor(options.gossipIntervalMs * 20);
    // Seal the bootstrap ring as epoch 1, as `scripts/cluster up` does: from now on only
    // explicit joins and leaves move partitions.
    const first = c.machines[0]?.node;
    if (first !== undefined) await c.run(new ClusterAdmin(first).commit());
    await c.scheduler.runFor(options.gossipIntervalMs * 10);
    return c;
  }

  /** Boots one more machine that knows the cluster through its seeds (it owns nothing until it joins). */
  async addMachine(): Promise<SimMachine> {
    const id = `n${this.machines.length + 1}`;
    const m: SimMachine = { id, address: `${id}:7100`, memory: new MemoryStore(), proc: new SimProcess(id, 0, this.scheduler), node: undefined, incarnations: 0 };
    this.machines.push(m);
    await this.boot(m);
    return m;
  }

  /** Stages one change on a live ring member and commits it; false when refused (e.g. transfers still running). */
  async changeRing(op: 'join' | 'leave', id: string): Promise<boolean> {
    const live = this.liveNodes().filter((m) => m.node !== undefined && m.id !== id);
    const via = live.length === 0 ? undefined : live[this.prng.int(live.length)]?.node;
    if (via === undefined) return false;
    const admin = new ClusterAdmin(via);
    try {
      admin.stage(op, id);
      await admin.commit();
      return true;
    } catch {
      return false;
    }
  }

  /** Transfers of the current ring epoch not yet done, as a live node sees them. */
  pendingTransferCount(): number {
    const node = this.liveNodes()[0]?.node;
    return node === undefined ? 0 : pendingTransfers(node.view.ringState).length;
  }

  get seeds(): string[] {
    return this.machines.map((m) => m.address);
  }

  machine(id: string): SimMachine {
    const m = this.machines.find((x) => x.id === id);
    if (m === undefined) throw new Error(`no machine ${id}`);
    return m;
  }

  /** Starts a process on the machine from what its disk holds. */
  private async boot(m: SimMachine): Promise<void> {
    m.incarnations++;
    const proc = new SimProcess(m.id, m.incarnations, this.scheduler);
    m.proc = proc;
    this.processes.push(proc);
    const rand = this.prng.fork();
    const store = new SimStore(m.memory, proc, () => rand.between(0, 2), () => m.diskFull === true, () => m.tableDamage);
    const identity = await loadOrCreateIdentity(store, m.id, () => Math.floor(proc.clock.now() / 1000));
    const self: MemberInfo = { id: m.id, rpc: m.address, http: `${m.id}:8000`, weight: 1, incarnation: m.incarnations };
    const node = new RingkvNode({
      self,
      actor: `${m.id}#${identity.epoch}`,
      params: this.options.params,
      clock: proc.clock,
      random: rand,
      transport: this.network.transport(m.address, proc),
      store: new ReplicaStore(store),
      logger: this.logFor(m.id, () => proc.clock.now()),
      seeds: this.seeds,
      requestTimeoutMs: this.options.requestTimeoutMs,
      gossipIntervalMs: this.options.gossipIntervalMs,
      syncWrites: this.options.syncWrites,
      handoffIntervalMs: this.options.handoffIntervalMs,
      handoffBatchCountMax: 50,
      aeIntervalMs: this.options.aeIntervalMs,
      tombstoneGraceMs: this.options.tombstoneGraceMs,
      freshStore: identity.created,
      renewActor: async () => `${m.id}#${await renewEpoch(store, m.id, Math.floor(proc.clock.now() / 1000))}`,
      ...(this.options.lwwPrefixes !== undefined && { lwwPrefixes: this.options.lwwPrefixes }),
      ...(this.options.scrubRecordsPerSec !== undefined && { scrubRecordsPerSec: this.options.scrubRecordsPerSec }),
    });
    await node.start();
    m.node = node;
  }

  private logFor(id: string, now: () => number): CaptureLogger {
    const logger = new CaptureLogger(id, now);
    // Share one list so restarts keep what earlier lives logged.
    (logger as { errors: CaptureLogger['errors'] }).errors = this.errors;
    return logger;
  }

  /** Drives simulated time until the promise settles. */
  async run<T>(p: Promise<T>, limitMs = 60_000): Promise<T> {
    const r = await this.scheduler.settle(p, limitMs);
    if (!r.done) throw new Error(`simulation: operation did not finish within ${limitMs} simulated ms`);
    return r.value;
  }

  /**
   * Kills the node's process. A process crash (kill -9) keeps every write
   * that reached the OS; a machine crash keeps only synced ones and a
   * PRNG-chosen prefix of the rest.
   */
  crash(id: string, kind: 'process' | 'machine' | 'disk-lost' = 'process'): void {
    const m = this.machine(id);
    if (m.node === undefined) return;
    m.proc.die();
    m.node = undefined;
    if (kind === 'disk-lost') {
      m.memory = new MemoryStore();
      m.tableDamage = undefined;
    } else if (kind === 'machine') {
      m.memory = m.memory.crash({ keepUnsyncedBatches: this.prng.int(m.memory.unsyncedBatchCount + 1) });
    } else {
      m.memory = m.memory.reopen();
    }
  }

  /**
   * A clean stop (SIGTERM): marks the store clean so the next start keeps the
   * epoch. Like `restart`, it runs as simulated time passes: await it through
   * `run()` from outside the simulation, or let it proceed from inside an event.
   */
  stop(id: string): Promise<void> {
    const m = this.machine(id);
    return this.inTurn(id, async () => {
      const node = m.node;
      if (node === undefined) return;
      m.node = undefined;
      await node.stop();
      const store = new SimStore(m.memory, m.proc, () => 0, () => false, () => m.tableDamage);
      // As start-node.ts: a store that refuses writes cannot keep the mark; the next start takes a new epoch.
      await markCleanShutdown(store).catch((err: unknown) => {
        if (!(err instanceof StoreDamagedError)) throw err;
      });
      m.proc.die();
      m.memory = m.memory.reopen();
    });
  }

  /** Boots the machine's node unless it runs (once a stop or boot already under way has finished). */
  restart(id: string): Promise<void> {
    const m = this.machine(id);
    return this.inTurn(id, async () => {
      if (m.node === undefined) await this.boot(m);
    });
  }

  /**
   * Runs a stop or a boot of the machine after the ones before it: two
   * overlapping would leave two processes on one disk, or a stop killing the
   * process a boot had just started.
   */
  private inTurn(id: string, step: () => Promise<void>): Promise<void> {
    const before = this.transitions.get(id) ?? Promise.resolve();
    const next = before.then(step, step);
    const settled = next.catch(() => undefined);
    this.transitions.set(id, settled);
    void settled.then(() => {
      if (this.transitions.get(id) === settled) this.transitions.delete(id);
    });
    return next;
  }

  /**
   * The highest clock reading of any node process up to simulated time `t`:
   * a version whose deadline is above it cannot have been judged expired
   * anywhere by then.
   */
  clockPeakBy(t: number): number {
    return this.processes.reduce((peak, p) => Math.max(peak, p.clockPeakBy(t)), -Infinity);
  }

  liveNodes(): SimMachine[] {
    return this.machines.filter((m) => m.node !== undefined);
  }
}
