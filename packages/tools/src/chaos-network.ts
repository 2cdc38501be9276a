import { execFile, execFileSync } from 'node:child_process';
import type { ChaosRandom } from './chaos-random.js';

/**
 * Network partitions between real node processes on one machine. Every node
 * of the cluster has its own loopback address (LocalCluster `hostPerNode`)
 * and its RPC connections leave from it, so an iptables rule `-s A -d B -j
 * DROP` cuts node A off from node B. The rules live in a chain of our own,
 * jumped to from INPUT (loopback traffic passes INPUT); healing flushes it,
 * and the chain is removed at the end. The workload's clients talk from
 * 127.0.0.1, which no rule names, so they still reach every node.
 */
export const NET_FAULT_KINDS = ['partition', 'isolate', 'bridge'] as const;
export type NetFaultKind = (typeof NET_FAULT_KINDS)[number];

export const CHAOS_CHAIN = 'RINGKV_CHAOS';

export function isNetFault(kind: string): kind is NetFaultKind {
  return (NET_FAULT_KINDS as readonly string[]).includes(kind);
}

/** Fewest nodes each shape needs: a bridge needs a node on each side besides itself. */
export const NET_FAULT_MIN_NODES: Readonly<Record<NetFaultKind, number>> = { partition: 2, isolate: 2, bridge: 3 };

/** One cut of the network: node indexes (0-based) and which pairs cannot talk. */
export interface NetCut {
  readonly kind: NetFaultKind;
  /** partition: the two halves; isolate: [the node], [the rest]; bridge: [side A], [bridge], [side B] */
  readonly groups: readonly (readonly number[])[];
  /** unordered pairs [a, b] with a < b, cut in both directions */
  readonly pairs: readonly (readonly [number, number])[];
}

function shuffled(size: number, random: ChaosRandom): number[] {
  const a = Array.from({ length: size }, (_, i) => i);
  for (let i = a.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a;
}

const sortNum = (xs: readonly number[]): number[] => [...xs].sort((x, y) => x - y);

/** Every pair with one node in `a` and one in `b`, as [low, high], sorted. */
export function crossPairs(a: readonly number[], b: readonly number[]): [number, number][] {
  const pairs: [number, number][] = [];
  for (const x of a) for (const y of b) pairs.push(x < y ? [x, y] : [y, x]);
  return pairs.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
}

/**
 * A random cut of `kind` over `size` nodes:
 * - partition: two random halves (sizes ⌊n/2⌋ and ⌈n/2⌉), every pair across cut;
 * - isolate: one random node cut from every other;
 * - bridge: one random bridge node; the others split into two non-empty
 *   halves that cannot reach each other but both still reach the bridge.
 */
export function planCut(kind: NetFaultKind, size: number, random: ChaosRandom): NetCut {
  if (size < NET_FAULT_MIN_NODES[kind]) throw new RangeError(`${kind} needs at least ${NET_FAULT_MIN_NODES[kind]} nodes (got ${size})`);
  const order = shuffled(size, random);
  if (kind === 'partition') {
    const half = Math.floor(size / 2);
    const a = sortNum(order.slice(0, half));
    const b = sortNum(order.slice(half));
    return { kind, groups: [a, b], pairs: crossPairs(a, b) };
  }
  if (kind === 'isolate') {
    const [alone] = order;
    const rest = sortNum(order.slice(1));
    return { kind, groups: [[alone as number], rest], pairs: crossPairs([alone as number], rest) };
  }
  const [bridge] = order;
  const others = order.slice(1);
  const half = Math.floor(others.length / 2);
  const a = sortNum(others.slice(0, half));
  const b = sortNum(others.slice(half));
  return { kind, groups: [a, [bridge as number], b], pairs: crossPairs(a, b) };
}

/** "n1 n4 | n2 n3 n5" (partition, isolate) or "n1 n2 | n3 (bridge) | n4 n5". */
export function describeCut(cut: NetCut, ids: readonly string[]): string {
  const name = (i: number): string => ids[i] ?? `n${i + 1}`;
  return cut.groups
    .map((g, gi) => g.map(name).join(' ') + (cut.kind === 'bridge' && gi === 1 ? ' (bridge)' : ''))
    .join(' | ');
}

/** The iptables arguments (after `iptables -w`) that add the DROP rules of a cut, both directions of every pair. */
export function cutRules(cut: NetCut, hosts: readonly string[], chain = CHAOS_CHAIN): string[][] {
  const host = (i: number): string => {
    const h = hosts[i];
    if (h === undefined) throw new RangeError(`no address for node ${i}`);
    return h;
  };
  const rules: string[][] = [];
  for (const [a, b] of cut.pairs) {
    rules.push(['-A', chain, '-s', host(a), '-d', host(b), '-j', 'DROP']);
    rules.push(['-A', chain, '-s', host(b), '-d', host(a), '-j', 'DROP']);
  }
  return rules;
}

/** Thrown when iptables cannot be used: missing, or not permitted (not root, no CAP_NET_ADMIN). */
export class IptablesUnavailableError extends Error {
  constructor(detail: string) {
    super(
      `network faults (partition, isolate, bridge) need iptables, run as root: ${detail}\n` +
        'install it with `apt-get install -y iptables` (Debian/Ubuntu) and run scripts/chaos as root, ' +
        'or leave the network faults out of --faults',
    );
    this.name = 'IptablesUnavailableError';
  }
}

export type IptablesRunner = (args: readonly string[]) => Promise<void>;

const realIptables: IptablesRunner = (args) =>
  new Promise((resolve, reject) => {
    execFile('iptables', ['-w', ...args], { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(Object.assign(new Error(`iptables ${args.join(' ')}: ${stderr.trim() || err.message}`), { code: (err as NodeJS.ErrnoException).code }));
    });
  });

/**
 * Our chain in the firewall: created (or emptied, if a crashed run left it)
 * and jumped to from INPUT by `setUp`, filled by `cut`, emptied by `heal`,
 * removed by `tearDown` (also from a process 'exit' handler, synchronously,
 * so no DROP rule survives a run).
 */
export class NetworkCutter {
  private installed = false;
  private readonly onExit = (): void => this.tearDownSync();

  constructor(
    private readonly hosts: readonly string[],
    private readonly run: IptablesRunner = realIptables,
    private readonly chain = CHAOS_CHAIN,
  ) {}

  /** Checks iptables works and installs the empty chain; throws IptablesUnavailableError if it cannot. */
  async setUp(): Promise<void> {
    try {
      await this.run(['-N', this.chain]).catch(async (err: unknown) => {
        // Exists already (a run that crashed): empty it and reuse it.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
        await this.run(['-F', this.chain]);
      });
      await this.run(['-C', 'INPUT', '-j', this.chain]).catch(() => this.run(['-I', 'INPUT', '1', '-j', this.chain]));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new IptablesUnavailableError(e.code === 'ENOENT' ? 'the iptables command was not found' : e.message);
    }
    this.installed = true;
    process.on('exit', this.onExit);
  }

  async cut(cut: NetCut): Promise<void> {
    for (const rule of cutRules(cut, this.hosts, this.chain)) await this.run(rule);
  }

  async heal(): Promise<void> {
    await this.run(['-F', this.chain]);
  }

  /** Empties and removes the chain and the jump to it; safe to call twice. */
  async tearDown(): Promise<void> {
    if (!this.installed) return;
    this.installed = false;
    process.removeListener('exit', this.onExit);
    await this.run(['-F', this.chain]).catch(() => undefined);
    // Remove every jump (a crashed run may have left one more).
    for (let i = 0; i < 10; i++) {
      const removed = await this.run(['-D', 'INPUT', '-j', this.chain]).then(
        () => true,
        () => false,
      );
      if (!removed) break;
    }
    await this.run(['-X', this.chain]).catch(() => undefined);
  }

  private tearDownSync(): void {
    if (!this.installed) return;
    this.installed = false;
    const sync = (args: string[]): boolean => {
      try {
        execFileSync('iptables', ['-w', ...args], { stdio: 'ignore', timeout: 10_000 });
        return true;
      } catch {
        return false;
      }
    };
    sync(['-F', this.chain]);
    for (let i = 0; i < 10 && sync(['-D', 'INPUT', '-j', this.chain]); i++);
    sync(['-X', this.chain]);
  }
}
