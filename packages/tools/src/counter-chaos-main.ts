#!/usr/bin/env node
/**
 * The counter acceptance figure (issue #8 item 4): a fresh 5-node cluster,
 * 20 clients each incrementing one counter by 1 a thousand times through
 * random nodes, one node killed with SIGKILL and restarted mid-run; the final
 * count must be exact (ok ≤ final ≤ ok + unknown; see counter-chaos.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { runCounterChaos } from './counter-chaos.js';
import { intIn } from './int-arg.js';
import { LocalCluster } from './local-cluster.js';
import { exitQuietlyOnEpipe } from './stdout-epipe.js';

exitQuietlyOnEpipe();

interface Flags {
  readonly nodes: number;
  readonly clients: number;
  readonly increments: number;
  readonly killAfter: number;
  readonly downMs: number;
  readonly seed: number;
  readonly keep: boolean;
  readonly json: boolean;
}

const program = new Command('scripts/counter-chaos')
  .description(
    'A fresh cluster (N=3 R=2 W=2) in a temporary directory; --clients clients each POST /counter/chaos {"delta":1} ' +
      '--increments times through random nodes while node n2 is killed with SIGKILL after --kill-after increments and ' +
      'restarted --down-ms later. Then waits until every node reads the same count with r=3 and no hints are pending, and ' +
      'checks ok ≤ final ≤ ok + unknown (unknown: timeouts and dropped connections, which may or may not have counted).',
  )
  .option('--nodes <n>', 'cluster size (at least 3)', intIn(3, 20), 5)
  .option('--clients <n>', 'concurrent clients, one increment in flight each', intIn(1, 1000), 20)
  .option('--increments <n>', 'increments per client', intIn(1, 1_000_000), 1000)
  .option('--kill-after <n>', 'kill n2 once this many increments were answered', intIn(0, 100_000_000), 5000)
  .option('--down-ms <ms>', 'how long n2 stays down', intIn(0, 600_000), 3000)
  .option('--seed <n>', 'seed of the clients\' node choice', intIn(0, 2 ** 31), 1)
  .option('--keep', 'keep the data directory (node logs) afterwards', false)
  .option('--json', 'print the result as JSON on stdout', false)
  .argument('[node-flags...]', 'after --, more `ringkv node` flags for every node')
  .addHelpText('after', '\nExamples:\n  scripts/counter-chaos\n  scripts/counter-chaos --clients 5 --increments 200 --json\n')
  .exitOverride();

async function main(flags: Flags, nodeFlags: readonly string[]): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'ringkv-counter-chaos-'));
  const say = (line: string): void => void process.stderr.write(`${line}\n`);
  let cluster: LocalCluster | undefined;
  try {
    say(`starting ${flags.nodes} nodes in ${dir}`);
    cluster = await LocalCluster.start({
      nodes: flags.nodes,
      n: 3,
      r: 2,
      w: 2,
      dataDir: dir,
      extraArgs: ['--log-level', 'warn', '--gossip-interval-ms', '200', '--handoff-interval-ms', '200', ...nodeFlags],
    });
    const result = await runCounterChaos({
      cluster,
      key: 'chaos',
      clients: flags.clients,
      incrementsPerClient: flags.increments,
      victim: 'n2',
      killAfterIncrements: flags.killAfter,
      downMs: flags.downMs,
      timeoutMs: 10_000,
      seed: flags.seed,
      settleTimeoutMs: 60_000,
      n: 3,
      log: say,
    });
    if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(
        [
          `increments attempted ${result.attempted}: ok ${result.ok}, failed ${result.failed}, unknown ${result.unknown} ` +
            `(retried after a refused connection: ${result.retriedRefused})`,
          `final count ${result.final} (${result.exact ? 'exact' : result.withinBounds ? 'within ok..ok+unknown' : 'OUT OF BOUNDS'})`,
          `increment phase ${(result.incrementMs / 1000).toFixed(1)} s (${Math.round((result.attempted * 1000) / result.incrementMs)} increments/s), ` +
            `settled in ${(result.settleMs / 1000).toFixed(1)} s`,
          `other outcomes: ${JSON.stringify(result.reasons)}`,
        ].join('\n') + '\n',
      );
    }
    return result.withinBounds ? 0 : 1;
  } finally {
    await cluster?.stop();
    if (flags.keep) say(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

try {
  program.parse(process.argv);
  process.exitCode = await main(program.opts<Flags>(), program.args);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`counter-chaos: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
