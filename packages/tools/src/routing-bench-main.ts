#!/usr/bin/env node
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RingkvClient } from '@ringkv/client';
import { Command, CommanderError } from 'commander';
import { intIn } from './int-arg.js';
import { LocalCluster } from './local-cluster.js';
import { runPhase } from './routing-bench-phase.js';
import { formatRoutingReport, summarize, type BenchOp, type BenchRouting, type RoutingBenchConfig, type RoutingPhaseResult } from './routing-bench-report.js';
import { exitQuietlyOnEpipe } from './stdout-epipe.js';

exitQuietlyOnEpipe();

interface Flags {
  readonly nodes: number;
  readonly keys: number;
  readonly valueBytes: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly rounds: number;
  readonly json: boolean;
}

const program = new Command('routing-bench')
  .description(
    'What partition-aware client routing saves: a fresh local cluster (N=3 R=2 W=2) loaded with --keys keys, then GET and PUT ' +
      'through RingkvClient with routing "any" and "partition-aware", the same number of requests in flight for the same time. ' +
      'Prints ops/s, p50 and p99 per phase, and the writes the nodes had to forward.',
  )
  .option('--nodes <n>', 'cluster size (N=3, so from 4 on some nodes are not replicas of a key)', intIn(3, 9), 5)
  .option('--keys <n>', 'keys loaded first, then read and overwritten at random', intIn(1, 1_000_000), 5000)
  .option('--value-bytes <n>', 'size of every value', intIn(1, 1024 * 1024), 100)
  .option('--concurrency <n>', 'requests in flight', intIn(1, 1000), 20)
  .option('--seconds <s>', 'measured time per operation and routing (split over the rounds)', intIn(1, 3600), 10)
  .option('--rounds <n>', 'alternate the two routings this many times per operation (any first, then partition-aware first, …), so load drifting on a shared machine favours neither', intIn(1, 100), 2)
  .option('--json', 'print the phases as JSON on stdout', false)
  .addHelpText('after', '\nExample:\n  node packages/tools/dist/routing-bench-main.js --seconds 10\n')
  .exitOverride();

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function forwardedTotal(admin: RingkvClient, urls: readonly string[]): Promise<number> {
  const counts = await Promise.all(
    urls.map(async (u) => {
      const requests = (await admin.status(u)).raw['requests'] as { forwarded?: unknown } | undefined;
      return typeof requests?.forwarded === 'number' ? requests.forwarded : 0;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

async function bench(flags: Flags): Promise<void> {
  const config: RoutingBenchConfig = { nodes: flags.nodes, n: 3, r: 2, w: 2, keys: flags.keys, valueBytes: flags.valueBytes, concurrency: flags.concurrency, seconds: flags.seconds };
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-routing-bench-'));
  let cluster: LocalCluster | undefined;
  const clients: RingkvClient[] = [];
  try {
    say(`starting ${flags.nodes} nodes in ${dir}`);
    cluster = await LocalCluster.start({ nodes: flags.nodes, n: 3, r: 2, w: 2, dataDir: dir, extraArgs: ['--log-level', 'warn'] });
    const urls = cluster.urls();
    // Same pool size for both clients: the comparison is about where requests go, not how many sockets they get.
    const make = (routing: BenchRouting): RingkvClient => {
      const c = new RingkvClient({ nodes: urls, routing, timeoutMs: 10_000, connectionsPerNode: flags.concurrency });
      clients.push(c);
      return c;
    };
    const byRouting: Record<BenchRouting, RingkvClient> = { any: make('any'), 'partition-aware': make('partition-aware') };
    const admin = make('any');
    await waitAllUp(byRouting['partition-aware'], flags.nodes);

    const keys = Array.from({ length: flags.keys }, (_, i) => `bench-${i}`);
    const value = new Uint8Array(flags.valueBytes).fill(120);
    const contexts = new Map<string, string>();
    say(`loading ${flags.keys} keys`);
    let next = 0;
    await Promise.all(
      Array.from({ length: flags.concurrency }, async () => {
        for (let i = next++; i < keys.length; i = next++) {
          const key = keys[i] ?? '';
          contexts.set(key, (await byRouting.any.put(key, value)).context);
        }
      }),
    );

    const phases: RoutingPhaseResult[] = [];
    // One short warm-up per client (JIT, connections), then the phases interleaved by operation.
    for (const routing of ['any', 'partition-aware'] as const) {
      await runPhase(byRouting[routing], 'GET', { keys, value, concurrency: flags.concurrency, seconds: 1, contexts });
    }
    const slice = flags.seconds / flags.rounds;
    for (const op of ['GET', 'PUT'] as const satisfies readonly BenchOp[]) {
      const acc = { any: newAcc(), 'partition-aware': newAcc() };
      for (let round = 0; round < flags.rounds; round++) {
        const order: BenchRouting[] = round % 2 === 0 ? ['any', 'partition-aware'] : ['partition-aware', 'any'];
        for (const routing of order) {
          say(`${op} with routing ${routing} for ${slice.toFixed(1)} s (round ${round + 1}/${flags.rounds})`);
          const before = await forwardedTotal(admin, urls);
          const s = await runPhase(byRouting[routing], op, { keys, value, concurrency: flags.concurrency, seconds: slice, contexts });
          const a = acc[routing];
          a.forwarded += (await forwardedTotal(admin, urls)) - before;
          for (const l of s.latenciesMs) a.latenciesMs.push(l);
          a.errors += s.errors;
          a.seconds += s.seconds;
        }
      }
      for (const routing of ['any', 'partition-aware'] as const) {
        const a = acc[routing];
        phases.push(summarize(routing, op, a.latenciesMs, a.errors, a.seconds, a.forwarded));
      }
    }
    if (flags.json) process.stdout.write(`${JSON.stringify({ config, phases }, null, 2)}\n`);
    else process.stdout.write(`${formatRoutingReport(config, phases)}\n`);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const newAcc = () => ({ latenciesMs: [] as number[], errors: 0, seconds: 0, forwarded: 0 });

/** Until the routing client's ring shows every node up (a down-marked node would skew where requests go). */
async function waitAllUp(client: RingkvClient, nodes: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ring = await client.refreshRing();
    if (ring !== undefined && [...ring.nodes.values()].filter((m) => m.up).length === nodes) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the nodes did not all see each other up within 20 s');
}

try {
  program.parse();
  const o = program.opts<Flags>();
  await bench(o);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  say(`routing-bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
