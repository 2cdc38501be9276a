#!/usr/bin/env node
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, CommanderError } from 'commander';
import { Pool } from 'undici';
import { Keyspace, runPhase, type BenchOp, type PhaseResult } from './bench-phase.js';
import { formatReport, reportJson, type BenchConfig } from './bench-report.js';
import { LocalCluster } from './local-cluster.js';
import { intIn } from './int-arg.js';
import { exitQuietlyOnEpipe } from './stdout-epipe.js';

exitQuietlyOnEpipe();

interface BenchFlags {
  readonly clients: number;
  readonly valueBytes: number;
  readonly keys: number;
  readonly seconds: number;
  readonly nodes: number;
  readonly json: boolean;
}

const program = new Command('scripts/bench')
  .description(
    'Closed-loop load against a fresh local cluster in a temporary directory (removed afterwards):\n' +
      'a PUT phase, then a GET phase over the keys written, spread over the nodes in turn.\n' +
      'Prints ops/s, p50 and p99 latency and errors per operation, and each node\'s RSS.',
  )
  .option('--clients <n>', 'requests in flight at all times', intIn(1, 10_000), 50)
  .option('--value-bytes <n>', 'size of every value written', intIn(1, 1024 * 1024), 100)
  .option('--keys <n>', 'key space of the PUT phase', intIn(1, 10_000_000), 100_000)
  .option('--seconds <n>', 'length of each phase', intIn(1, 3600), 10)
  .option('--nodes <n>', 'nodes in the cluster (N = min(3, nodes), R = W = min(2, N))', intIn(1, 32), 3)
  .option('--json', 'print the result as JSON on stdout', false)
  .addHelpText('after', '\nExamples:\n  scripts/bench\n  scripts/bench --clients 100 --seconds 30 --json > bench.json\n')
  .exitOverride();

async function bench(flags: BenchFlags): Promise<number> {
  const n = Math.min(3, flags.nodes);
  const config: BenchConfig = { nodes: flags.nodes, n, r: Math.min(2, n), w: Math.min(2, n), clients: flags.clients, valueBytes: flags.valueBytes, keys: flags.keys, seconds: flags.seconds };
  let aborted = false;
  // Our own handler keeps Ctrl-C from killing us before the cluster and its directory are cleaned up.
  const onSignal = (): void => {
    aborted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-bench-'));
  let cluster: LocalCluster | undefined;
  const pools: Pool[] = [];
  try {
    process.stderr.write(`starting ${config.nodes} nodes in ${dir} …\n`);
    cluster = await LocalCluster.start({ nodes: config.nodes, dataDir: dir, n: config.n, r: config.r, w: config.w, extraArgs: ['--log-level', 'warn'] });
    const connections = Math.ceil(config.clients / config.nodes) + 1;
    for (const url of cluster.urls()) pools.push(new Pool(url, { connections, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 }));
    const keyspace = new Keyspace(config.keys);
    const value = new Uint8Array(config.valueBytes).fill(0x61);
    const phases: PhaseResult[] = [];
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    for (const op of ['PUT', 'GET'] as const satisfies readonly BenchOp[]) {
      if (aborted) break;
      phases.push(
        await runPhase({ op, pools, clients: config.clients, seconds: config.seconds, value, keyspace, aborted: () => aborted, onTick: progress(op, config.seconds) }),
      );
      if (process.stderr.isTTY) process.stderr.write('\n');
    }
    const cpu = process.cpuUsage(cpuBefore);
    const loadCpuPercent = ((cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - wallBefore)) * 100;
    const nodes = await Promise.all(cluster.urls().map(async (_, i) => ({ id: cluster?.node(i).id ?? `n${i + 1}`, rssBytes: await cluster?.rss(i) })));
    const report = { config, phases, nodes, loadCpuPercent };
    process.stdout.write(flags.json ? reportJson(report) : formatReport(report));
    return aborted ? 130 : 0;
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** One line a second on stderr: overwritten in place on a terminal, appended otherwise. */
function progress(op: BenchOp, seconds: number): (done: number, errors: number, elapsedMs: number) => void {
  let last = 0;
  let lastMs = 0;
  return (done, errors, elapsedMs) => {
    const rate = ((done - last) * 1000) / Math.max(1, elapsedMs - lastMs);
    last = done;
    lastMs = elapsedMs;
    const line = `${op} ${Math.min(seconds, Math.round(elapsedMs / 1000))}/${seconds} s  ${done} ops  ${rate.toFixed(0)} ops/s  errors ${errors}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line.padEnd(70)}` : `${line}\n`);
  };
}

try {
  program.parse(process.argv);
  process.exitCode = await bench(program.opts<BenchFlags>());
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
