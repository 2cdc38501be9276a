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
 * Kernels without sch_netem/sch_prio (minimal VMs, this project's dev machine)
 * get a fallback built from what they usually do have:
 *  - a slow link: an `htb` root whose default class is unlimited and whose
 *    second class, fed by the same u32 filters, is limited to a rate at which
 *    a bounded byte queue (`bfifo`) drains in the planned delay — so the
 *    degraded nodes' traffic waits up to that long under load and overflow is
 *    dropped, as on a congested link (no fixed delay when idle);
 *  - random loss: iptables `statistic` DROP rules in a chain of our own
 *    (RINGKV_DEGRADE, jumped to from INPUT); each loss makes TCP retransmit
 *    after ≥ 200 ms.
 * Duplication and reordering are not emulated there; between TCP endpoints
 * they would only show as retransmission delay anyway. Whichever half works is
 * used; without either, the fault is skipped, with a line saying why.
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

/** The fallback's rate limit: the bounded queue (SHAPE_QUEUE_BYTES) drains in `delayMs`. */
export const SHAPE_QUEUE_BYTES = 50_000;
export function shapeRateKbit(d: Degradation): number {
  return Math.max(8, Math.round((SHAPE_QUEUE_BYTES * 8) / d.delayMs));
}

/**
 * "n2 n4: delay 120±30 ms, loss 4 %, duplicate 2 %, reorder 10 %"; in the
 * fallback only what is applied: "n2 n4: rate 3333 kbit (queue ≤ 120 ms), loss 4 % (fallback: no netem)".
 */
export function describeDegrade(d: Degradation, ids: readonly string[], mode: DegradeMode = { kind: 'netem' }): string {
  const who = d.nodes.map((i) => ids[i] ?? `n${i + 1}`).join(' ');
  if (mode.kind === 'fallback') {
    const parts = [
      ...(mode.shaped ? [`rate ${shapeRateKbit(d)} kbit (queue ≤ ${d.delayMs} ms)`] : []),
      ...(mode.loss ? [`loss ${d.lossPct} %`] : []),
    ];
    return `${who}: ${parts.join(', ')} (fallback: no netem)`;
  }
  return `${who}: delay ${d.delayMs}±${d.jitterMs} ms, loss ${d.lossPct} %, duplicate ${d.duplicatePct} %, reorder ${d.reorderPct} %`;
}

const hostOf = (hosts: readonly string[], i: number): string => {
  const h = hosts[i];
  if (h === undefined) throw new RangeError(`no address for node ${i}`);
  return h;
};

/** u32 filters that send packets to or from each degraded node's address to `flowid`. */
function addressFilters(d: Degradation, hosts: readonly string[], dev: string, flowid: string): string[][] {
  return d.nodes.flatMap((i) =>
    ['dst', 'src'].map((end) => ['filter', 'add', 'dev', dev, 'parent', '1:0', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', end, `${hostOf(hosts, i)}/32`, 'flowid', flowid]),
  );
}

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
  return [...cmds, ...addressFilters(d, hosts, dev, `1:${NETEM_BAND}`)];
}

/**
 * The fallback's slow link: an htb root (class 1:10, the default, unlimited;
 * class 1:20 at shapeRateKbit) with a SHAPE_QUEUE_BYTES byte FIFO under 1:20.
 */
export function shapeApplyCommands(d: Degradation, hosts: readonly string[], dev = 'lo'): string[][] {
  const kbit = `${shapeRateKbit(d)}kbit`;
  return [
    ['qdisc', 'replace', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '10'],
    // quantum set explicitly: r2q would make it huge for an unlimited class (a kernel warning)
    ['class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:10', 'htb', 'rate', '100gbit', 'quantum', '200000'],
    ['class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:20', 'htb', 'rate', kbit, 'ceil', kbit],
    ['qdisc', 'add', 'dev', dev, 'parent', '1:20', 'handle', '20:', 'bfifo', 'limit', String(SHAPE_QUEUE_BYTES)],
    ...addressFilters(d, hosts, dev, '1:20'),
  ];
}

/** The `tc` arguments that remove every trace of a degradation (filters, netem or htb classes go with the root). */
export function rootQdiscRemoveCommand(dev = 'lo'): string[] {
  return ['qdisc', 'del', 'dev', dev, 'root'];
}

/** The iptables arguments (after `-w`) of the loss-only fallback: DROP a share of packets to or from each node. */
export function lossRules(d: Degradation, hosts: readonly string[], chain = DEGRADE_CHAIN): string[][] {
  const p = (d.lossPct / 100).toFixed(4);
  return d.nodes.flatMap((i) =>
    ['-d', '-s'].map((end) => ['-A', chain, end, hostOf(hosts, i), '-m', 'statistic', '--mode', 'random', '--probability', p, '-j', 'DROP']),
  );
}

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

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
export type DegradeMode =
  | { readonly kind: 'netem' }
  /** no netem (`why`): a slow link by htb when `shaped`, random loss by iptables when `loss` (at least one) */
  | { readonly kind: 'fallback'; readonly shaped: boolean; readonly loss: boolean; readonly why: string }
  | { readonly kind: 'skip'; readonly why: string };

/**
 * Applies and heals degradations. `setUp` probes what the machine allows
 * (netem, else htb shaping and/or iptables loss, else nothing); `tearDown` removes everything,
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
    // Qdiscs that no filter feeds: they prove the kinds exist here without touching traffic.
    const probe: Degradation = { nodes: [], delayMs: 1, jitterMs: 0, lossPct: 0, duplicatePct: 0, reorderPct: 0 };
    const netemWhy = await this.probeTc(netemApplyCommands(probe, this.hosts, this.dev));
    if (netemWhy === undefined) {
      this.mode = { kind: 'netem' };
      return this.mode;
    }
    const shapeWhy = await this.probeTc(shapeApplyCommands(probe, this.hosts, this.dev));
    let lossWhy: string | undefined;
    try {
      await this.run('iptables', ['-N', this.chain]).catch(() => this.run('iptables', ['-F', this.chain]));
      this.chainInstalled = true;
      await this.run('iptables', ['-I', 'INPUT', '1', '-j', this.chain]);
    } catch (err) {
      lossWhy = errorMessage(err);
    }
    const why = [netemWhy, ...(shapeWhy === undefined ? [] : [`htb: ${shapeWhy}`]), ...(lossWhy === undefined ? [] : [`iptables: ${lossWhy}`])].join('; ');
    const shaped = shapeWhy === undefined;
    const loss = lossWhy === undefined;
    this.mode = shaped || loss ? { kind: 'fallback', shaped, loss, why } : { kind: 'skip', why };
    return this.mode;
  }

  /** Runs a probe's tc commands and removes the root qdisc again; the error message when they fail. */
  private async probeTc(cmds: readonly string[][]): Promise<string | undefined> {
    try {
      for (const cmd of cmds) await this.run('tc', cmd);
      await this.run('tc', rootQdiscRemoveCommand(this.dev));
      return undefined;
    } catch (err) {
      await this.run('tc', rootQdiscRemoveCommand(this.dev)).catch(() => undefined);
      return errorMessage(err);
    }
  }

  /** Applies `d`; returns false (nothing applied) when the fault is skipped on this machine. */
  async apply(d: Degradation): Promise<boolean> {
    if (this.mode.kind === 'skip') return false;
    this.applied = true;
    if (this.mode.kind === 'netem') {
      for (const cmd of netemApplyCommands(d, this.hosts, this.dev)) await this.run('tc', cmd);
      return true;
    }
    if (this.mode.shaped) for (const cmd of shapeApplyCommands(d, this.hosts, this.dev)) await this.run('tc', cmd);
    if (this.mode.loss) for (const rule of lossRules(d, this.hosts, this.chain)) await this.run('iptables', rule);
    return true;
  }

  /** Whether this mode put a root qdisc on the device. */
  private get usesTc(): boolean {
    return this.mode.kind === 'netem' || (this.mode.kind === 'fallback' && this.mode.shaped);
  }

  async heal(): Promise<void> {
    if (!this.applied) return;
    if (this.usesTc) await this.run('tc', rootQdiscRemoveCommand(this.dev));
    if (this.mode.kind === 'fallback' && this.mode.loss) await this.run('iptables', ['-F', this.chain]);
    this.applied = false;
  }

  /** Removes the qdisc or the chain; safe to call twice. */
  async tearDown(): Promise<void> {
    process.removeListener('exit', this.onExit);
    if (this.usesTc && this.applied) await this.run('tc', rootQdiscRemoveCommand(this.dev)).catch(() => undefined);
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
    if (this.usesTc && this.applied) sync('tc', rootQdiscRemoveCommand(this.dev));
    this.applied = false;
    if (this.chainInstalled) {
      this.chainInstalled = false;
      sync('iptables', ['-F', this.chain]);
      for (let i = 0; i < 10 && sync('iptables', ['-D', 'INPUT', '-j', this.chain]); i++);
      sync('iptables', ['-X', this.chain]);
    }
  }
}
