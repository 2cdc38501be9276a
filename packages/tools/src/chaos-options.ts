import { intIn } from './int-arg.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { FAULT_KINDS, type FaultKind } from './chaos-faults.js';
import { NET_FAULT_MIN_NODES, isNetFault } from './chaos-network.js';

/** Everything one chaos run is made of, checked. Durations in seconds, as typed. */
export interface ChaosConfig {
  readonly nodes: number;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly clients: number;
  readonly keysShared: number;
  readonly keysOwn: number;
  readonly duration: number;
  /** 0: no faults (a baseline run) */
  readonly killEvery: number;
  readonly downFor: number;
  readonly seed: number | undefined;
  readonly faults: readonly FaultKind[];
  readonly history: string | undefined;
  readonly healTimeout: number;
  /** a client gives up on a request after this long (the node answers 503 itself well before) */
  readonly timeout: number;
  /** fail the run when fewer requests to live coordinators succeed (percent; 0 = do not judge) */
  readonly minSuccess: number;
  readonly keep: boolean;
  readonly json: boolean;
  /** check this history file instead of running a cluster */
  readonly check: string | undefined;
  /** more `ringkv node` flags for every node */
  readonly nodeArgs: readonly string[];
  /** the clock fault's largest jump, and twice the largest standing skew (seconds) */
  readonly clockSkew: number;
  /** siblings (the default) or lww: every node resolves every workload key last-writer-wins (a negative control) */
  readonly policy: 'siblings' | 'lww';
}

function secondsIn(lo: number, hi: number): (text: string) => number {
  return (text) => {
    const v = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(v) || v < lo || v > hi) throw new InvalidArgumentError(`expected seconds in ${lo}..${hi}`);
    return v;
  };
}

function percent(text: string): number {
  const v = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(v) || v < 0 || v > 100) throw new InvalidArgumentError('expected a percentage in 0..100');
  return v;
}

function faultList(text: string): FaultKind[] {
  const kinds = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (kinds.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`expected a comma-separated list of ${FAULT_KINDS.join(', ')}${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  }
  return [...new Set(kinds)] as FaultKind[];
}

export const CHAOS_HELP_AFTER = `
Faults (--faults, one at a time, a random one every --kill-every seconds):
  kill    kill -9 the node; restart it with the same data --down-for seconds later
  pause   SIGSTOP the node (it keeps its sockets but answers nothing, like a long
          GC pause or a stuck VM); SIGCONT it --down-for seconds later
  wipe    kill -9 the node, delete its data directory, restart it empty under the
          same id --down-for seconds later (a replaced disk). With --n 1 this
          loses acknowledged writes: a negative control for the checker
  corrupt compact the node (POST /admin/compact: its records move into LevelDB
          table files), kill -9 it, flip one bit inside one stored value the
          workload wrote (the newest value of a key the node is a primary
          replica of), in a .ldb table (bit rot that LevelDB reads back without
          complaint: only ringkv's record checksum catches it), restart it with
          that data --down-for seconds later. The log says which key, value,
          file, offset and bit; when no value is found in a table (or each one
          found has a newer write in LevelDB's log, which would shadow it) it
          says SKIPPED and the node is only killed. The workload's values then
          carry a hash suffix (c<client>-<seq>~<32 chars>) that Snappy stores
          literally. Before the final reads every node is scrubbed (POST
          /admin/scrub), and the report counts the damaged copies the nodes
          found and repaired (their /metrics, read before each kill and at the end)
  partition  cut the network into two random halves (sizes n/2 rounded down and
          up): no node of one half reaches a node of the other
  isolate    cut one random node off from every other node
  bridge     one random node is the bridge; the others split into two halves
          that cannot reach each other but both still reach the bridge
  degrade    delay 50-200 ms ± 10-50 ms, loss 1-10 %, duplication 1-5 % and
          reordering 5-25 % (tc netem) on every packet to or from one random
          node (two when there are 4 or more); its peers and the workload's
          clients both see the slow, lossy link. Needs tc and root; on a kernel
          without sch_netem/sch_prio it falls back to a rate-limited link whose
          50 kB queue drains in the planned delay (tc htb + bfifo) and random loss
          (iptables statistic match), with no duplication or reordering; without
          either it is skipped with a line saying so. The root qdisc on lo is
          removed at the end (also on Ctrl-C).
  clock      one random node's clock jumps forward or backward by
          --clock-skew/2..--clock-skew seconds while it runs, and back after
          --down-for. With clock among the faults, every node also starts with its
          own standing skew within ±--clock-skew/2 (test-only node flag
          --clock-offset-file, re-read every 100 ms). Versions are dots, not
          timestamps: no write may be lost. With --policy lww (every key
          last-writer-wins) concurrent writes do get lost: a negative control.
  The network faults last --down-for seconds, then heal. They need iptables and
  root (apt-get install -y iptables): every node then gets its own loopback
  address 127.0.0.(10+i) for HTTP and RPC, connects to its peers from it, and
  DROP rules for each cut pair of addresses (both directions) go into an
  iptables chain RINGKV_CHAOS, jumped to from INPUT; healing flushes the chain,
  and it is removed at the end (also on Ctrl-C and errors). Only node-to-node
  traffic is cut: the workload's clients still reach every node, so a node on
  the small side keeps coordinating and answers 503 when it cannot reach a
  quorum. Without iptables or root, asking for a network fault exits 2.

Workload: --clients closed-loop clients, each sending to a random live node. Each
client has --keys-own keys of its own and shares --keys-shared keys with all the
others; it reads (35%), writes (55%, with the context of its last read or write
of the key 90% of the time) and deletes (10%, with that context). Every value
written is unique (c<client>-<seq>). Every request is a line of the history
(JSONL: t, client, op, key, value, phase invoke|ok|fail|info, node, status,
error, ctx, values); a write that timed out or got a 5xx is "info" (maybe applied).

After --duration: the faults stop and every node is brought back, the script
waits until no node holds hints (at most --heal-timeout s), reads every key
with R = N twice a second apart, and checks the history:
  - every acknowledged PUT is read (as the value or among siblings), unless a
    write sent with a context that covered it (ok or maybe applied) replaced it;
  - no key whose every value was deleted comes back, no superseded value comes
    back, no read (during the run or after) returns a value no client wrote to
    that key (a phantom: a damaged copy served would be one).
With corrupt among the faults, every node is scrubbed after the hints drained,
and the final reads wait (at most --heal-timeout s) until each node repaired
what it found.

Exit status: 0 all checks passed; 1 a check failed (lost write, resurrected key,
hints not drained, success rate below --min-success, a node that would not come
back); 2 bad command line; 130 interrupted.

Examples:
  scripts/chaos --nodes 5 --duration 30 --kill-every 10 --down-for 5
  scripts/chaos --duration 120 --clients 20 --seed 42 --min-success 99
  scripts/chaos --faults kill,pause --history /tmp/h.jsonl --keep
  scripts/chaos --faults kill,pause,partition,isolate,bridge --duration 300   # as root
  scripts/chaos --nodes 5 --duration 90 --faults kill,pause,partition,degrade,clock   # as root
  scripts/chaos --duration 60 --kill-every 6 --down-for 4 --faults kill,corrupt --seed 101
  scripts/chaos --faults clock --policy lww   # negative control: the checker must report lost writes
  scripts/chaos --check /tmp/h.jsonl         # re-check a recorded history
  scripts/chaos -- --log-level debug         # flags after -- go to every node
`;

export function chaosProgram(): Command {
  return new Command('scripts/chaos')
    .description(
      'Runs a workload against a fresh local cluster (in a temporary directory, removed afterwards)\n' +
        'while killing, pausing or corrupting the disk of random nodes or cutting the network between them, then heals the cluster and checks that no\n' +
        'acknowledged write was lost. Durations are in seconds.',
    )
    .addOption(new Option('--nodes <count>', 'nodes in the cluster').default(5).argParser(intIn(1, 32)))
    .addOption(new Option('--n <n>', 'replicas per key').default(3).argParser(intIn(1, 32)))
    .addOption(new Option('--r <r>', 'read quorum of the workload').default(2).argParser(intIn(1, 32)))
    .addOption(new Option('--w <w>', 'write quorum of the workload').default(2).argParser(intIn(1, 32)))
    .addOption(new Option('--clients <count>', 'closed-loop clients').default(20).argParser(intIn(1, 1000)))
    .addOption(new Option('--keys-shared <count>', 'keys every client reads and writes').default(20).argParser(intIn(0, 100_000)))
    .addOption(new Option('--keys-own <count>', 'keys of each client alone').default(5).argParser(intIn(0, 100_000)))
    .addOption(new Option('--duration <s>', 'how long the workload and the faults run').default(120).argParser(secondsIn(1, 86_400)))
    .addOption(new Option('--kill-every <s>', 'a fault starts this often (0: no faults)').default(10).argParser(secondsIn(0, 86_400)))
    .addOption(new Option('--down-for <s>', 'how long a faulted node stays down (or a network cut lasts)').default(5).argParser(secondsIn(0.1, 86_400)))
    .addOption(new Option('--seed <int>', 'seed of the fault schedule and the clients\' choices (default: random, printed)').argParser(intIn(0, 2 ** 32 - 1)))
    .addOption(new Option('--faults <list>', `faults to choose from: ${FAULT_KINDS.join(',')}`).default(['kill'], 'kill').argParser(faultList))
    .addOption(new Option('--clock-skew <s>', 'clock fault: largest jump; standing skews are within ± half of it').default(5).argParser(secondsIn(0, 3600)))
    .addOption(new Option('--policy <policy>', 'conflict policy of every workload key: siblings, or lww (nodes start with --lww-prefix shared- --lww-prefix c)').default('siblings').choices(['siblings', 'lww']))
    .addOption(new Option('--history <file>', 'write the history (JSONL) here (default: in the temporary directory)'))
    .addOption(new Option('--heal-timeout <s>', 'fail unless hints drain within this after the faults stop').default(30).argParser(secondsIn(0, 86_400)))
    .addOption(new Option('--timeout <s>', 'client request timeout').default(10).argParser(secondsIn(0.1, 600)))
    .addOption(new Option('--min-success <pct>', 'fail when fewer requests to live coordinators succeed (0: do not judge)').default(0).argParser(percent))
    .option('--keep', 'keep the temporary directory (node data and logs, history); it is also kept when a check fails', false)
    .option('--json', 'print the report as JSON on stdout', false)
    .addOption(new Option('--check <file>', 'only check a recorded history file (no cluster is started)'))
    .argument('[node-flags...]', 'after --, more `ringkv node` flags for every node')
    .addHelpText('after', CHAOS_HELP_AFTER)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
}

/** Whether the run cuts the network (and so needs iptables and per-node addresses). */
export function usesNetworkFaults(c: Pick<ChaosConfig, 'faults' | 'killEvery'>): boolean {
  return c.killEvery > 0 && c.faults.some((k) => isNetFault(k));
}

/** Whether the run degrades links (per-node addresses, tc netem or its fallback). */
export function usesDegrade(c: Pick<ChaosConfig, 'faults' | 'killEvery'>): boolean {
  return c.killEvery > 0 && c.faults.includes('degrade');
}

/** Whether the run flips bits on disk (findable values, a scrub and the nodes' counters at the end). */
export function usesCorrupt(c: Pick<ChaosConfig, 'faults' | 'killEvery'>): boolean {
  return c.killEvery > 0 && c.faults.includes('corrupt');
}

/** Whether nodes start with offset files (standing skews and jumps). */
export function usesClockSkew(c: Pick<ChaosConfig, 'faults' | 'killEvery'>): boolean {
  return c.killEvery > 0 && c.faults.includes('clock');
}

/** The parsed flags as a config, or a message saying what does not fit together. */
export function chaosConfig(opts: Record<string, unknown>, nodeArgs: readonly string[]): ChaosConfig | string {
  const c: ChaosConfig = {
    nodes: opts['nodes'] as number,
    n: opts['n'] as number,
    r: opts['r'] as number,
    w: opts['w'] as number,
    clients: opts['clients'] as number,
    keysShared: opts['keysShared'] as number,
    keysOwn: opts['keysOwn'] as number,
    duration: opts['duration'] as number,
    killEvery: opts['killEvery'] as number,
    downFor: opts['downFor'] as number,
    seed: opts['seed'] as number | undefined,
    faults: opts['faults'] as FaultKind[],
    history: opts['history'] as string | undefined,
    healTimeout: opts['healTimeout'] as number,
    timeout: opts['timeout'] as number,
    minSuccess: opts['minSuccess'] as number,
    keep: opts['keep'] === true,
    json: opts['json'] === true,
    check: opts['check'] as string | undefined,
    nodeArgs,
    clockSkew: opts['clockSkew'] as number,
    policy: opts['policy'] === 'lww' ? 'lww' : 'siblings',
  };
  if (c.n > c.nodes) return `--n (${c.n}) must not exceed --nodes (${c.nodes})`;
  if (c.r > c.n || c.w > c.n) return `--r and --w must not exceed --n (N=${c.n})`;
  if (c.keysShared + c.keysOwn === 0) return 'the clients need keys: --keys-shared and --keys-own are both 0';
  if (c.killEvery > 0 && c.nodes < 2) return 'faults need at least 2 nodes (or --kill-every 0)';
  for (const kind of c.faults) {
    if (c.killEvery > 0 && isNetFault(kind) && c.nodes < NET_FAULT_MIN_NODES[kind]) {
      return `the ${kind} fault needs at least ${NET_FAULT_MIN_NODES[kind]} nodes`;
    }
  }
  return c;
}
