#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { clusterAdd } from './cluster-add.js';
import { clusterDown } from './cluster-down.js';
import { clusterKill } from './cluster-kill.js';
import { clusterRemove } from './cluster-remove.js';
import { sealOnceRecorded, sealRecordedCluster } from './cluster-seal.js';
import { whyNotUpAgain } from './cluster-up-guard.js';
import { clusterStart } from './cluster-start.js';
import { clusterStatus } from './cluster-status.js';
import { clusterUp } from './cluster-up.js';
import { intIn } from './int-arg.js';
import { exitQuietlyOnEpipe } from './stdout-epipe.js';

exitQuietlyOnEpipe();

const dataOption = (): Option => new Option('--data <dir>', 'the directory the cluster keeps its nodes, logs and cluster.json in').default('./data');

let exitCode = 0;
const done = (code: number): void => {
  exitCode = code;
};

const program = new Command('scripts/cluster')
  .description('Run a ringkv cluster on this machine: node i (1-based, id n<i>) serves HTTP on base-port+i-1 and RPC on base-port+100+i-1.')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride()
  .addHelpText(
    'after',
    `
Examples:
  scripts/cluster up                      # 3 nodes on 7001-7003, Ctrl-C stops them
  scripts/cluster up --detach             # the same, in the background
  scripts/cluster status
  scripts/cluster kill n2                 # kill -9, as a crash would
  scripts/cluster start n2                # back with its old data and ports
  scripts/cluster add                     # one more node (n4): join, then watch its partitions arrive
  scripts/cluster remove n4               # it hands its partitions off, then stops (a dead node: refilled)
  scripts/cluster down
  scripts/cluster up --nodes 5 --base-port 8001 --data /tmp/ringkv --n 3 --r 1 --w 3
`,
  );

program
  .command('up')
  .description('start the nodes, wait until every one is healthy and sees all the others, then seal the ring (epoch 1)')
  .addOption(new Option('--nodes <count>', 'number of nodes').default(3).argParser(intIn(1, 100)))
  .addOption(new Option('--base-port <port>', 'HTTP port of n1; RPC ports start 100 above').default(7001).argParser(intIn(1, 65335)))
  .addOption(dataOption())
  .addOption(new Option('--n <n>', 'replicas per key').default(3).argParser(intIn(1, 64)))
  .addOption(new Option('--r <r>', 'default read quorum').default(2).argParser(intIn(1, 64)))
  .addOption(new Option('--w <w>', 'default write quorum').default(2).argParser(intIn(1, 64)))
  .option('--detach', 'return once the nodes are up and leave them running (stop with: down)', false)
  .argument('[node-flags...]', 'after --, more `ringkv node` flags for every node (e.g. -- --log-level warn --sync)')
  .action(async (nodeArgs: string[], o: { nodes: number; basePort: number; data: string; n: number; r: number; w: number; detach: boolean }) => {
    if (o.r > o.n || o.w > o.n) {
      process.stderr.write(`error: --r and --w must not exceed --n (N=${o.n})\n`);
      done(2);
      return;
    }
    const say = (line: string): void => {
      process.stderr.write(`${line}\n`);
    };
    const refusal = await whyNotUpAgain(o.data, o.nodes);
    if (refusal !== undefined) {
      say(`${refusal}\nNothing was started.`);
      done(1);
      return;
    }
    if (o.detach) {
      const code = await clusterUp({ ...o, nodeArgs });
      done(code === 0 ? await sealRecordedCluster(o.data, say) : code);
      return;
    }
    // A foreground `up` returns only on Ctrl-C: seal as soon as it has recorded the running cluster.
    const stopSealing = sealOnceRecorded(o.data, process.pid, say);
    try {
      done(await clusterUp({ ...o, nodeArgs }));
    } finally {
      stopSealing();
    }
  });

program
  .command('add')
  .description(
    'start one more node (next id and ports, the same N/R/W and flags, the running nodes as seeds), stage its join and commit, then show the transfers until they are done',
  )
  .addOption(dataOption())
  .addOption(new Option('--weight <w>', 'capacity share of the new node (partitions owned are proportional)').argParser(intIn(1, 1_000_000)))
  .action(async (o: { data: string; weight?: number }) => done(await clusterAdd(o)));

program
  .command('remove')
  .description(
    'take one node out of the ring (NODE is n4 or 4): a running node leaves (hands its partitions off, then is stopped); a dead one is removed (its partitions refill from the other replicas)',
  )
  .argument('<node>', 'n<i> or i')
  .addOption(dataOption())
  .action(async (ref: string, o: { data: string }) => done(await clusterRemove(o.data, ref)));

program
  .command('down')
  .description('stop every node of the cluster (SIGTERM, then SIGKILL after 5 s)')
  .addOption(dataOption())
  .action(async (o: { data: string }) => done(await clusterDown(o.data)));

program
  .command('status')
  .description('per node: is its process running, does /health answer, how many keys it stores (exit 1 unless all are healthy)')
  .addOption(dataOption())
  .option('--json', 'print JSON', false)
  .action(async (o: { data: string; json: boolean }) => done(await clusterStatus(o.data, o.json)));

program
  .command('kill')
  .description('kill -9 one node (NODE is n2 or 2)')
  .argument('<node>', 'n<i> or i')
  .addOption(dataOption())
  .action(async (ref: string, o: { data: string }) => done(await clusterKill(o.data, ref)));

program
  .command('start')
  .description('restart one node with its old data, ports and flags, in the background (NODE is n2 or 2)')
  .argument('<node>', 'n<i> or i')
  .addOption(dataOption())
  .action(async (ref: string, o: { data: string }) => done(await clusterStart(o.data, ref)));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed the problem already; a bad command line is exit code 2.
    exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`cluster: ${err instanceof Error ? err.message : String(err)}\n`);
    exitCode = 1;
  }
}
process.exitCode = exitCode;
