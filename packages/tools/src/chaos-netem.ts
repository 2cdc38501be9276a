import { execFile, execFileSync } from 'node:child_process';
import type { ChaosRandom } from './chaos-random.js';

/**
 * A degraded network between real node processes on one machine: delay with
 * jitter, loss, duplication and reordering (tc netem) on every packet to or
 * from the chosen nodes' own loopback addresses (LocalCluster `hostPerNode`).
 *
 * On `lo` the root qdisc becomes a 4-band `prio`; the default priomap only
 * uses bands 1-3, so all other traffic passes untouched, and u32 filters send
 * packets whose destination OR source is a degraded node's address to band 4,
 * which holds the netem. Matching both directions means the node's peers AND
 * the workload's clients (which talk from 127.0.0.1 to the node's address)
 * see the degraded link, both ways. Healing deletes the root qdisc (`lo` is
 * back to its default noqueue).
 *
 * Kernels without sch_netem/sch_prio (minimal VMs) get a fallback: random
 * packet loss only, with iptables `statistic` DROP rules in a chain of our own
 * (RINGKV_DEGRADE, jumped to from INPUT) — lost packets still make TCP
 * retransmit after ≥200 ms, so links stall, but there is no fixed delay,
 * duplication or reordering. Without either, the fault is skipped, with a line
 * saying why.
 */

export interface Degradation {
  /** node indexes (0-based) whose traffic is degraded */
  readonly nodes: readonly number[];
  readonly delayMs: number;
  readonly jitterMs: number;
  readonly lossPct: number;
  readonly duplicatePct: number;
  readonly reorderPct: number;
}

export const DEGRADE_CHAIN = 'RINGKV_DEGRADE';
/** the prio band (1-based minor) the netem hangs under; the default priomap never picks it */
const NETEM_BAND = 4;

/**
 * A random degradation of one node, or two when there are at least four
 * (both ends of a link then suffer): delay 50–200 ms ± 10–50 ms, loss 1–10 %,
 * duplication 1–5 %, reordering 5–25 %.
 */
export function planDegrade(size: number, random: ChaosRandom): Degradation {
  if (size < 1) throw new RangeError('no nodes to degrade');
  const first = random.int(size);
  const nodes = [first];
  if (size >= 4) {
    const second = (first + 1 + random.int(size - 1)) % size;
    nodes.push(second);
  }
  const between = (lo: number, hi: number): number => lo + random.int(hi - lo + 1);
  return {
    nodes: nodes.sort((a, b) => a - b),
    delayMs: between(50, 200),
    jitterMs: between(10, 50),
    lossPct: between(1, 10),
    duplicatePct: between(1, 5),
    reorderPct: between(5, 25),
  };
}

/** "n2 n4: delay 120±30 ms, loss 4 %, duplicate 2 %, reorder 10 %" */
export function describeDegrade(d: Degradation, ids: readonly string[], lossOnly = false): string {
  const who = d.nodes.map((i) => ids[i] ?? `n${i + 1}`).join(' ');
  if (lossOnly) return `${who}: loss ${d.lossPct} % (iptables fallback)`;
  return `${who}: delay ${d.delayMs}±${d.jitterMs} ms, loss ${d.lossPct} %, duplicate ${d.duplicatePct} %, reorder ${d.reorderPct} %`;
}

const hostOf = (hosts: readonly string[], i: number): string => {
  const h = hosts[i];
  if (h === undefined) throw new RangeError(`no address for node ${i}`);
  return h;
};

/** The `tc` argument lists that apply a degradation on `dev`, in order. */
export function netemApplyCommands(d: Degradation, hosts: readonly string[], dev = 'lo'): string[][] {
  const cmds: string[][] = [
    // replace, not add: a root qdisc a crashed run left behind is taken over instead of failing.
    ['qdisc', 'replace', 'dev', dev, 'root', 'handle', '1:', 'prio', 'bands', String(NETEM_BAND)],
    [
      'qdisc', 'add', 'dev', dev, 'parent', `1:${NETEM_BAND}`, 'handle', `${NETEM_BAND}0:`, 'netem',
      'delay', `${d.delayMs}ms`, `${d.jitterMs}ms`,
      'loss', `${d.lossPct}%`,
      'duplicate', `${d.duplicatePct}%`,
      'reorder', `${d.reorderPct}%`,
    ],
  ];
  for (const i of d.nodes) {
    for (const end of ['dst', 'src']) {
      cmds.push(['filter', 'add', 'dev', dev, 'parent', '1:0', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', end, `${hostOf(hosts, i)}/32`, 'flowid', `1:${NETEM_BAND}`]);
    }
  }
  return cmds;
}

/** The `tc` arguments that remove every trace of a degradation (the filters and netem go with the root). */
export function netemRemoveCommand(dev = 'lo'): string[] {
  return ['qdisc', 'del', 'dev', dev, 'root'];
}

/** The iptables arguments (after `-w`) of the loss-only fallback: DROP a share of packets to or from each node. */
export function lossRules(d: Degradation, hosts: readonly string[], chain = DEGRADE_CHAIN): string[][] {
  const p = (d.lossPct / 100).toFixed(4);
  return d.nodes.flatMap((i) =>
    ['-d', '-s'].map((end) => ['-A', chain, end, hostOf(hosts, i), '-m', 'statistic', '--mode', 'random', '--probability', p, '-j', 'DROP']),
  );
}

export type Tool = 'tc' | 'iptables';
export type ToolRunner = (tool: Tool, args: readonly string[]) => Promise<void>;

const realRunner: ToolRunner = (tool, args) =>
  new Promise((resolve, reject) => {
    const argv = tool === 'iptables' ? ['-w', ...args] : [...args];
    execFile(tool, argv, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(new Error(`${tool} ${args.join(' ')}: ${stderr.trim() || err.message}`));
    });
  });

/** How the degrade fault works on this machine, found out once by `setUp`. */
export type DegradeMode = { readonly kind: 'netem' } | { readonly kind: 'loss-only'; readonly why: string } | { readonly kind: 'skip'; readonly why: string };

/**
 * Applies and heals degradations. `setUp` probes what the machine allows
 * (netem, else iptables loss, else nothing); `tearDown` removes everything,
 * and a process 'exit' handler does it synchronously if the run dies first.
 */
export class NetworkDegrader {
  mode: DegradeMode = { kind: 'skip', why: 'not set up' };
  private applied = false;
  private chainInstalled = false;
  private readonly onExit = (): void => this.tearDownSync();

  constructor(
    private readonly hosts: readonly string[],
    private readonly run: ToolRunner = realRunner,
    private readonly dev = 'lo',
    private readonly chain = DEGRADE_CHAIN,
  ) {}

  async setUp(): Promise<DegradeMode> {
    process.on('exit', this.onExit);
    // A netem on a band no filter selects: proves both qdiscs exist here without touching traffic.
    const probe: Degradation = { nodes: [], delayMs: 1, jitterMs: 0, lossPct: 0, duplicatePct: 0, reorderPct: 0 };
    try {
      for (const cmd of netemApplyCommands(probe, this.hosts, this.dev)) await this.run('tc', cmd);
      await this.run('tc', netemRemoveCommand(this.dev));
      this.mode = { kind: 'netem' };
      return this.mode;
    } catch (err) {
      await this.run('tc', netemRemoveCommand(this.dev)).catch(() => undefined);
      const tcWhy = err instanceof Error ? err.message : String(err);
      try {
        await this.run('iptables', ['-N', this.chain]).catch(() => this.run('iptables', ['-F', this.chain]));
        this.chainInstalled = true;
        await this.run('iptables', ['-I', 'INPUT', '1', '-j', this.chain]);
        this.mode = { kind: 'loss-only', why: tcWhy };
      } catch (err2) {
        this.mode = { kind: 'skip', why: `${tcWhy}; iptables: ${err2 instanceof Error ? err2.message : String(err2)}` };
      }
      return this.mode;
    }
  }

  /** Applies `d`; returns false (nothing applied) when the fault is skipped on this machine. */
  async apply(d: Degradation): Promise<boolean> {
    if (this.mode.kind === 'skip') return false;
    this.applied = true;
    if (this.mode.kind === 'netem') {
      for (const cmd of netemApplyCommands(d, this.hosts, this.dev)) await this.run('tc', cmd);
    } else {
      for (const rule of lossRules(d, this.hosts, this.chain)) await this.run('iptables', rule);
    }
    return true;
  }

  async heal(): Promise<void> {
    if (!this.applied) return;
    if (this.mode.kind === 'netem') await this.run('tc', netemRemoveCommand(this.dev));
    else if (this.mode.kind === 'loss-only') await this.run('iptables', ['-F', this.chain]);
    this.applied = false;
  }

  /** Removes the qdisc or the chain; safe to call twice. */
  async tearDown(): Promise<void> {
    process.removeListener('exit', this.onExit);
    if (this.mode.kind === 'netem' && this.applied) await this.run('tc', netemRemoveCommand(this.dev)).catch(() => undefined);
    this.applied = false;
    if (this.chainInstalled) {
      this.chainInstalled = false;
      await this.run('iptables', ['-F', this.chain]).catch(() => undefined);
      for (let i = 0; i < 10; i++) {
        const removed = await this.run('iptables', ['-D', 'INPUT', '-j', this.chain]).then(() => true, () => false);
        if (!removed) break;
      }
      await this.run('iptables', ['-X', this.chain]).catch(() => undefined);
    }
  }

  private tearDownSync(): void {
    // Only the real commands: a test's fake runner must not make the test process touch the machine's network.
    if (this.run !== realRunner) return;
    const sync = (tool: Tool, args: string[]): boolean => {
      try {
        execFileSync(tool, tool === 'iptables' ? ['-w', ...args] : args, { stdio: 'ignore', timeout: 10_000 });
        return true;
      } catch {
        return false;
      }
    };
    if (this.mode.kind === 'netem' && this.applied) sync('tc', netemRemoveCommand(this.dev));
    this.applied = false;
    if (this.chainInstalled) {
      this.chainInstalled = false;
      sync('iptables', ['-F', this.chain]);
      for (let i = 0; i < 10 && sync('iptables', ['-D', 'INPUT', '-j', this.chain]); i++);
      sync('iptables', ['-X', this.chain]);
    }
  }
}
