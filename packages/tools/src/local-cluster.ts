import type { ChildProcess } from 'node:child_process';
import { RingkvClient } from '@ringkv/client';
import { reapOnExit } from './child-reaper.js';
import { tailFile } from './log-tail.js';
import { RUN_HEADER_PREFIX, httpUrl, rpcAddress, spawnNode, type NodeSpec } from './node-process.js';
import { readRssBytes } from './proc-rss.js';
import { prepareClusterSecurity, type ClusterSecurity, type LocalClusterSecurity } from './local-cluster-security.js';
import { NodeNotReadyError, waitUntilReady } from './wait-ready.js';
import { planNodes } from './local-cluster-plan.js';

export { nodeHost, PortsInUseError } from './local-cluster-plan.js';

export interface LocalClusterOptions {
  /** number of nodes (default 3) */
  readonly nodes?: number;
  /** node i (1-based) serves HTTP on basePort+i−1 and RPC on basePort+100+i−1; default: free ports */
  readonly basePort?: number;
  /** root directory: node i keeps its data in `<dataDir>/n<i>` */
  readonly dataDir: string;
  readonly n?: number;
  readonly r?: number;
  readonly w?: number;
  /**
   * Give node i (1-based) its own loopback address 127.0.0.(10+i) for HTTP and
   * RPC (all of 127.0.0.0/8 reaches the local machine on Linux); its RPC
   * connections to peers then leave from that address too, so a firewall rule
   * can cut the network between two nodes (scripts/chaos partitions).
   * Default: every node on 127.0.0.1.
   */
  readonly hostPerNode?: boolean;
  /** more `ringkv node` flags for every node, e.g. ['--log-level', 'warn'] */
  readonly extraArgs?: readonly string[];
  /** flags for one node that depend on its ports or id (e.g. --advertise, a per-node --clock-offset-file), after extraArgs */
  readonly perNodeArgs?: (node: PlannedNode) => readonly string[];
  /** where `n<i>.log` goes (default: dataDir) */
  readonly logDir?: string;
  /** leave the nodes running when this process exits (the cluster script's --detach) */
  readonly keepAfterExit?: boolean;
  /** how long start() and restart() wait for every node to be ready (default 30 s) */
  readonly readyTimeoutMs?: number;
  /** the `ringkv` script to run (default: packages/cli/dist/main.js of this repository) */
  readonly cliEntry?: string;
  /** told when a node process ends, whatever the cause (kill, crash, stop) */
  readonly onNodeExit?: (id: string, reason: string) => void;
  /** start every node with a client token, a cluster secret and/or TLS (files made in `<dataDir>/security`) */
  readonly security?: LocalClusterSecurity;
}

/** What one running (or stopped) node of the cluster is. */
export interface LocalNodeInfo {
  readonly index: number;
  readonly id: string;
  readonly host: string;
  readonly httpPort: number;
  readonly rpcPort: number;
  readonly httpUrl: string;
  readonly rpcAddress: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** undefined while the node is not running */
  readonly pid: number | undefined;
  readonly args: readonly string[];
}

/** What perNodeArgs is told about the node it gives flags to. */
export interface PlannedNode {
  /** 1-based */
  readonly index: number;
  readonly id: string;
  readonly host: string;
  readonly httpPort: number;
  readonly rpcPort: number;
  readonly dataDir: string;
}

/** A node is named by its 0-based position (as in `urls()`) or by its id (`'n2'`). */
export type NodeRef = number | string;

interface Slot {
  readonly spec: NodeSpec;
  child: ChildProcess | undefined;
  exited: Promise<void>;
  exitReason: string | undefined;
}

const stopGraceMs = 5000;

/**
 * A cluster of real `ringkv node` processes on this machine, for tests, the
 * cluster script and the benchmark. Children die with this process unless
 * `keepAfterExit` is set.
 */
export class LocalCluster {
  private readonly client: RingkvClient;

  private constructor(
    private readonly slots: Slot[],
    private readonly options: LocalClusterOptions,
    /** what a client needs to talk to these nodes (token, CA), and the files the nodes got */
    readonly security: ClusterSecurity,
  ) {
    this.client = new RingkvClient({ nodes: slots.map((s) => httpUrl(s.spec)), timeoutMs: 2000, connectionsPerNode: 1, ...security.client });
  }

  /** Starts the nodes and resolves once every one is healthy and sees all the others. */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const count = options.nodes ?? 3;
    if (!Number.isInteger(count) || count < 1 || count > 100) throw new RangeError(`nodes must be an integer in 1..100 (got ${count})`);
    const security = await prepareClusterSecurity(options.dataDir, options.security, options.extraArgs);
    // The security flags go first, so a test's own extraArgs can still override them.
    const withSecurity: LocalClusterOptions = { ...options, extraArgs: [...security.args, ...(options.extraArgs ?? [])] };
    const specs = await planNodes(count, withSecurity);
    const cluster = new LocalCluster(
      specs.map((spec) => ({ spec, child: undefined, exited: Promise.resolve(), exitReason: undefined })),
      withSecurity,
      security,
    );
    try {
      for (let i = 0; i < specs.length; i++) cluster.launch(i);
      await cluster.waitReady(cluster.slots.map((_, i) => i));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /**
   * Starts one more node (id n<size+1>, the next ports, the same N/R/W and
   * flags, every running node as a seed) and resolves once it is healthy and
   * sees every running node. It only becomes known to the cluster through
   * gossip: it owns nothing until a join is committed (see sealRing, and the
   * /admin/cluster endpoints).
   */
  async add(options: { readonly weight?: number; readonly extraArgs?: readonly string[] } = {}): Promise<LocalNodeInfo> {
    const index = this.slots.length + 1;
    const [spec] = await planNodes(1, this.options, {
      firstIndex: index,
      seeds: this.slots.filter((s) => this.isRunning(s)).map((s) => rpcAddress(s.spec)),
      extraArgs: [...(options.extraArgs ?? []), ...(options.weight === undefined ? [] : ['--weight', String(options.weight)])],
    });
    if (spec === undefined) throw new Error('no node planned');
    this.slots.push({ spec, child: undefined, exited: Promise.resolve(), exitReason: undefined });
    const i = this.slots.length - 1;
    try {
      this.launch(i);
      const running = this.slots.flatMap((s, j) => (this.isRunning(s) ? [j] : []));
      // The new node knowing the cluster is not enough: a join staged on any
      // other node right after needs that node to have heard of it by gossip.
      await this.waitReady([i], running.length);
      await this.waitReady(running, running.length);
    } catch (err) {
      await this.terminate(this.slots[i] as Slot);
      throw err;
    }
    return this.node(i);
  }

  /**
   * Seals the bootstrap ring as epoch 1 (the first commit with nothing
   * staged), so that a node added later owns nothing until its join is
   * committed. Does nothing when the ring is sealed already. Returns the epoch.
   */
  async sealRing(): Promise<number> {
    const first = this.slots.find((s) => this.isRunning(s));
    if (first === undefined) throw new Error('no node is running');
    const node = httpUrl(first.spec);
    const status = await this.client.clusterStatus({ node });
    if (status.epoch > 0) return status.epoch;
    const plan = await this.client.clusterCommit({ node });
    return plan.nextEpoch;
  }

  private isRunning(slot: Slot): boolean {
    return slot.child !== undefined && slot.exitReason === undefined;
  }

  /** HTTP base URLs, in node order. */
  urls(): string[] {
    return this.slots.map((s) => httpUrl(s.spec));
  }

  get size(): number {
    return this.slots.length;
  }

  node(ref: NodeRef): LocalNodeInfo {
    const slot = this.slot(ref);
    const { spec } = slot;
    return {
      index: spec.index,
      id: spec.id,
      host: spec.host,
      httpPort: spec.httpPort,
      rpcPort: spec.rpcPort,
      httpUrl: httpUrl(spec),
      rpcAddress: rpcAddress(spec),
      dataDir: spec.dataDir,
      logFile: spec.logFile,
      pid: slot.exitReason === undefined ? slot.child?.pid : undefined,
      args: spec.args,
    };
  }

  /** Sends `signal` (default SIGKILL) and waits until the process has exited. */
  async kill(ref: NodeRef, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const slot = this.slot(ref);
    if (slot.child === undefined || slot.exitReason !== undefined) return;
    slot.child.kill(signal);
    await slot.exited;
  }

  /** Starts the node again with the same id, ports and data; stops it first if it runs. */
  async restart(ref: NodeRef): Promise<void> {
    const i = this.indexOf(ref);
    await this.terminate(this.slot(i));
    this.launch(i);
    await this.waitReady([i]);
  }

  /** SIGTERM to every node, SIGKILL to those still running after 5 s. */
  async stop(): Promise<void> {
    await Promise.all(this.slots.map((s) => this.terminate(s)));
    await this.client.close();
  }

  private async terminate(slot: Slot): Promise<void> {
    const child = slot.child;
    if (child === undefined || slot.exitReason !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
    await slot.exited;
    clearTimeout(timer);
  }

  /**
   * Lets go of the nodes without stopping them (the cluster script's --detach):
   * only this object's HTTP connections are closed.
   */
  async release(): Promise<void> {
    await this.client.close();
  }

  /** Resident memory of the node's process in bytes (Linux), undefined when it is not running. */
  async rss(ref: NodeRef): Promise<number | undefined> {
    const pid = this.node(ref).pid;
    return pid === undefined ? undefined : readRssBytes(pid);
  }

  /** The last lines the node's current (or last) run wrote to its log, for failure messages. */
  logTail(ref: NodeRef, lines = 20): Promise<string> {
    return tailFile(this.slot(ref).spec.logFile, lines, { sinceLineStartingWith: RUN_HEADER_PREFIX });
  }

  private launch(i: number): void {
    const slot = this.slots[i];
    if (slot === undefined) throw new RangeError(`no node at ${i}`);
    const child = spawnNode(slot.spec, {
      keepAfterExit: this.options.keepAfterExit === true,
      ...(this.options.cliEntry === undefined ? {} : { entry: this.options.cliEntry }),
    });
    if (this.options.keepAfterExit !== true) reapOnExit(child);
    slot.child = child;
    slot.exitReason = undefined;
    slot.exited = new Promise((resolveExit) => {
      child.once('error', (err) => {
        slot.exitReason ??= `could not be started: ${err.message}`;
        resolveExit();
      });
      child.once('exit', (code, signal) => {
        slot.exitReason ??= signal === null ? `exited with code ${code ?? '?'}` : `was killed by ${signal}`;
        this.options.onNodeExit?.(slot.spec.id, slot.exitReason);
        resolveExit();
      });
    });
  }

  private async waitReady(indexes: readonly number[], members = this.slots.length): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    await Promise.all(
      indexes.map(async (i) => {
        const slot = this.slots[i];
        if (slot === undefined) return;
        try {
          await waitUntilReady(
            this.client,
            { id: slot.spec.id, url: httpUrl(slot.spec), members, failure: () => slot.exitReason },
            deadline,
          );
        } catch (err) {
          if (!(err instanceof NodeNotReadyError)) throw err;
          const tail = await this.logTail(i);
          const shown = tail === '' ? '  (log is empty)' : tail.replace(/^/gm, '  ');
          throw new Error(`${err.message}\nlast lines of ${slot.spec.logFile}:\n${shown}`, { cause: err });
        }
      }),
    );
  }

  private indexOf(ref: NodeRef): number {
    const i = typeof ref === 'number' ? ref : this.slots.findIndex((s) => s.spec.id === ref);
    if (!Number.isInteger(i) || i < 0 || i >= this.slots.length) {
      throw new RangeError(`no node ${String(ref)} in a cluster of ${this.slots.length} (use 0..${this.slots.length - 1} or n1..n${this.slots.length})`);
    }
    return i;
  }

  private slot(ref: NodeRef): Slot {
    const slot = this.slots[this.indexOf(ref)];
    if (slot === undefined) throw new RangeError(`no node ${String(ref)}`);
    return slot;
  }
}
