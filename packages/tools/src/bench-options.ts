import { Command, InvalidArgumentError, Option } from 'commander';
import type { KeyDistribution } from './bench-keys.js';
import type { BenchConfig, ConflictPolicy } from './bench-report.js';
import { PEER_NAMES, type SystemName } from './bench-system.js';
import { DEFAULT_WORKLOADS, WORKLOADS, parseWorkloads } from './bench-workloads.js';
import { intIn } from './int-arg.js';

/** The flags as commander hands them over (defaults applied). */
interface BenchFlags {
  readonly workload: readonly string[] | string;
  readonly distribution: KeyDistribution;
  readonly records: number;
  readonly valueSize: number;
  readonly clients: number;
  readonly loadClients: number;
  readonly duration: number;
  readonly warmup: number;
  readonly nodes: number;
  readonly n?: number;
  readonly r?: number;
  readonly w?: number;
  readonly sync: boolean;
  readonly dw: number;
  readonly policy: ConflictPolicy;
  readonly cacheMb?: number;
  readonly maxOpenFiles?: number;
  readonly writeBufferMb?: number;
  readonly tableReads?: 'pread' | 'mmap';
  readonly compact: boolean;
  readonly seed: number;
  readonly json?: string;
  readonly compare?: boolean | string;
}

export interface BenchInvocation {
  readonly config: BenchConfig;
  /** peers to run after ringkv (empty without --compare) */
  readonly peers: readonly SystemName[];
  /** where to write the JSON report ('-': stdout instead of the table) */
  readonly jsonFile: string | undefined;
}

const workloadHelp = Object.values(WORKLOADS)
  .map((w) => `  ${w.name.padEnd(4)}${w.title}`)
  .join('\n');

export function benchProgram(): Command {
  return new Command('scripts/bench')
    .description(
      'YCSB-style benchmark of a fresh local ringkv cluster (temp dirs, removed afterwards): loads --records keys, ' +
        'then runs each --workload for --duration seconds with --clients closed-loop clients, requests spread over ' +
        'the nodes in turn. Prints ops/s and p50/p95/p99/p99.9 latency per workload and operation, errors, and each ' +
        "server process's RSS and CPU. --compare runs the same workloads against peers started the same way.",
    )
    .option('--workload <list>', `comma-separated workloads, run in this order:\n${workloadHelp}\n`, DEFAULT_WORKLOADS.join(','))
    .addOption(new Option('--distribution <name>', 'how reads and updates pick keys (D always favours the newest)').choices(['zipfian', 'uniform']).default('zipfian'))
    .option('--records <n>', 'keys loaded before the workloads', intIn(1, 100_000_000), 100_000)
    .option('--value-size <bytes>', 'size of every value written (random bytes)', intIn(1, 1024 * 1024), 100)
    .option('--clients <n>', 'requests in flight at all times during a workload', intIn(1, 10_000), 50)
    .option('--load-clients <n>', 'writes in flight while loading', intIn(1, 10_000), 256)
    .option('--duration <s>', 'seconds per workload', intIn(1, 3600), 10)
    .option(
      '--warmup <s>',
      'seconds each workload first runs unmeasured, on every system alike: a fresh process runs its request path ' +
        'interpreted until V8 has compiled it, which on a small shared machine takes seconds (0: measure from the first request)',
      intIn(0, 600),
      5,
    )
    .option('--nodes <n>', 'ringkv nodes', intIn(1, 32), 3)
    .option('--n <n>', 'replicas per key (default min(3, nodes))', intIn(1, 32))
    .option('--r <r>', 'read quorum (default min(2, N))', intIn(1, 32))
    .option('--w <w>', 'write quorum (default min(2, N))', intIn(1, 32))
    .option('--sync', 'durable mode: nodes fsync every replica write before acknowledging it (ringkv node --sync)', false)
    .option('--dw <n>', 'durable mode per request: every ringkv write asks for ?dw=n (n acks from replicas that fsynced it; 0: none)', intIn(0, 100), 0)
    .addOption(
      new Option(
        '--policy <policy>',
        "conflict policy of the benchmark's keys: siblings (ringkv's default: concurrent writes are kept as siblings) or lww " +
          '(nodes start with --lww-prefix u, every bench key: last writer wins, as in Redis, etcd and Cassandra)',
      )
        .choices(['siblings', 'lww'])
        .default('siblings'),
    )
    .option('--cache-mb <mib>', 'the nodes\' LevelDB block cache (ringkv node --cache-mb; default the node\'s, 8)', intIn(1, 65_536))
    .option('--max-open-files <n>', "the nodes' LevelDB open table files (ringkv node --max-open-files; default LevelDB's, 1000)", intIn(16, 100_000))
    .option('--write-buffer-mb <mib>', "the nodes' LevelDB memtable (ringkv node --write-buffer-mb; default the node's)", intIn(1, 1024))
    .addOption(
      new Option('--table-reads <mode>', "how the nodes' LevelDB reads table files (ringkv node --table-reads; default the node's, pread)").choices(['pread', 'mmap']),
    )
    .option(
      '--no-compact',
      "skip the full LevelDB compaction of every ringkv node between the load and the workloads (POST /admin/compact); " +
        'without it, reads right after a large load pay for the compactions LevelDB starts on its own as reads meet many levels',
    )
    .option('--seed <n>', 'seed of keys, operations and values (one seed, one request sequence per client)', intIn(0, 2 ** 31), 1)
    .option('--json <file>', 'also write the report as JSON to this file (- : JSON on stdout instead of the table)')
    .option(
      '--compare [peers]',
      `also run the workloads against peers, each started in temp dirs and stopped afterwards: ${PEER_NAMES.join(',')} (default all)\n` +
        '  fastify: a no-op fastify route (the HTTP ceiling); redis: Redis Cluster 3 masters + 3 replicas, AOF everysec\n' +
        '  (apt-get install -y redis-server redis-tools); etcd: 3 members (apt-get install -y etcd-server)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  scripts/bench                                  # workloads C, A, PUT against 3 nodes\n' +
        '  scripts/bench --compare                        # the same against fastify, Redis Cluster and etcd too\n' +
        '  scripts/bench --sync --compare etcd            # durable ringkv against etcd\n' +
        '  scripts/bench --dw 2 --compare etcd            # the same, asked per write (?dw=2) of nodes without --sync\n' +
        '  scripts/bench --policy lww --compare           # last-writer-wins keys, like for like with the peers\n' +
        '  scripts/bench --workload A,B,C,D,F --distribution uniform --json bench.json\n' +
        '  scripts/bench --records 1000000 --workload C,A # scaling with data\n',
    )
    .exitOverride();
}

/** Checks the flags together and derives the quorum defaults; throws InvalidArgumentError on a bad combination. */
export function benchInvocation(flags: BenchFlags): BenchInvocation {
  const workloads = parseWorkloads(Array.isArray(flags.workload) ? flags.workload.join(',') : String(flags.workload));
  const n = flags.n ?? Math.min(3, flags.nodes);
  const r = flags.r ?? Math.min(2, n);
  const w = flags.w ?? Math.min(2, n);
  if (n > flags.nodes) throw new InvalidArgumentError(`--n ${n} needs at least ${n} nodes (--nodes ${flags.nodes})`);
  if (r > n || w > n) throw new InvalidArgumentError(`--r and --w must not exceed N (${n})`);
  if (flags.dw > n) throw new InvalidArgumentError(`--dw must not exceed N (${n})`);
  let peers: SystemName[] = [];
  if (flags.compare === true) peers = [...PEER_NAMES];
  else if (typeof flags.compare === 'string') {
    for (const part of flags.compare.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '')) {
      if (!(PEER_NAMES as readonly string[]).includes(part)) throw new InvalidArgumentError(`--compare: unknown peer "${part}" (expected ${PEER_NAMES.join(', ')})`);
      if (!peers.includes(part as SystemName)) peers.push(part as SystemName);
    }
  }
  return {
    config: {
      nodes: flags.nodes,
      n,
      r,
      w,
      sync: flags.sync,
      dw: flags.dw,
      policy: flags.policy,
      cacheMb: flags.cacheMb,
      maxOpenFiles: flags.maxOpenFiles,
      tableReads: flags.tableReads,
      writeBufferMb: flags.writeBufferMb,
      compact: flags.compact,
      clients: flags.clients,
      loadClients: flags.loadClients,
      valueBytes: flags.valueSize,
      records: flags.records,
      durationS: flags.duration,
      warmupS: flags.warmup,
      distribution: flags.distribution,
      workloads,
      seed: flags.seed,
    },
    peers,
    jsonFile: flags.json,
  };
}

/** Parses argv (after node and the script); throws CommanderError for --help and usage errors. */
export function parseBenchArgs(argv: readonly string[]): BenchInvocation {
  const program: Command = benchProgram();
  program.parse([...argv], { from: 'user' });
  try {
    return benchInvocation(program.opts<BenchFlags>());
  } catch (err) {
    program.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  }
}
