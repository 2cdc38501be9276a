import { Command } from 'commander';
import type { CommandContext } from './command-context.js';
import { EXIT } from './exit-codes.js';
import type { NodeFlags } from './node-flags.js';
import { reportFailure } from './request-failure.js';

const examples = `
Examples:
  # a first node, then two that find it through --seeds
  ringkv node --id n1 --http 127.0.0.1:7001 --rpc 127.0.0.1:7101 --data ./data/n1
  ringkv node --id n2 --http 127.0.0.1:7002 --rpc 127.0.0.1:7102 --data ./data/n2 --seeds 127.0.0.1:7101
  ringkv node --id n3 --http 127.0.0.1:7003 --rpc 127.0.0.1:7103 --data ./data/n3 --seeds 127.0.0.1:7101,127.0.0.1:7102

All nodes of a cluster must be started with the same --n, --r, --w, --partitions and --cluster-name.
SIGINT or SIGTERM stops the node cleanly (exit 0); a second signal exits at once.
`;

export function nodeCommand(ctx: CommandContext): Command {
  return new Command('node')
    .summary('run one ringkv node (server) in the foreground')
    .description('Starts one node: its HTTP API for clients, its RPC listener for other nodes, and its LevelDB directory.')
    .requiredOption('--id <id>', 'stable node id, e.g. n1 ([A-Za-z0-9_.-], at most 64)')
    .option('--http <host:port>', 'HTTP listener for clients', '127.0.0.1:7001')
    .option('--rpc <host:port>', 'TCP listener for other nodes', '127.0.0.1:7101')
    .requiredOption('--data <dir>', "this node's data directory (created if missing)")
    .option('--seeds <host:port,...>', 'RPC addresses of nodes to contact at start')
    .option('--n <n>', 'replicas per key (cluster-wide)', '3')
    .option('--r <r>', 'default read quorum, 1..N (cluster-wide)', '2')
    .option('--w <w>', 'default write quorum, 1..N (cluster-wide)', '2')
    .option('--partitions <q>', 'partitions of the ring, a power of two, fixed for the cluster', '256')
    .option('--cluster-name <name>', 'nodes of different clusters refuse each other', 'ringkv')
    .option('--weight <w>', 'capacity share; partitions owned are proportional to it', '1')
    .option('--request-timeout-ms <ms>', 'how long a coordinator waits for R/W replies before answering 503', '2000')
    .option('--value-bytes-max <bytes>', 'largest value a client may PUT', '1048576')
    .option('--sync', 'fsync every replica write before acknowledging it (slower, survives power loss)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
    .option('--gossip-interval-ms <ms>', 'milliseconds between gossip rounds; a dead node is noticed after about 4-8 rounds', '500')
    .option('--handoff-interval-ms <ms>', 'milliseconds between hinted-handoff delivery rounds', '500')
    .option('--handoff-batch <count>', 'hinted records sent to one primary per round (the delivery rate limit)', '200')
    .option('--ae-interval-ms <ms>', 'milliseconds between anti-entropy exchanges (one partition with one fellow replica each)', '1000')
    .option('--tombstone-grace-ms <ms>', 'how long a tombstone stays once every replica is known to hold it', '60000')
    .addHelpText('after', examples)
    .action(async (flags: NodeFlags) => {
      // Loaded here, not at the top: `ringkv get` should not pay for loading the server.
      const { parseNodeFlags } = await import('./node-flags.js');
      let options;
      try {
        options = parseNodeFlags(flags);
      } catch (err) {
        ctx.exit(reportFailure(err, ctx.io));
        return;
      }
      const { startNode } = await import('@ringkv/node');
      let running;
      try {
        running = await startNode(options);
      } catch (err) {
        ctx.io.stderr.write(`ringkv node ${options.id}: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
        ctx.exit(EXIT.requestFailed);
        return;
      }
      const { n, r, w, partitionCount } = options.cluster;
      ctx.io.stdout.write(
        `ringkv node ${running.id} serving: http://${running.httpAddress}  rpc ${running.rpcAddress}  ` +
          `data ${options.dataDir}  N=${n} R=${r} W=${w} Q=${partitionCount}\n`,
      );
      await stopOnSignal(running.id, () => running.stop(), ctx);
    });
}

/** A clean stop (in-flight requests finished, hints and records flushed, LevelDB closed) must not hang a deploy. */
const stopTimeoutMs = 15_000;

/**
 * Waits for SIGINT/SIGTERM, stops the node (stop accepting requests, finish
 * in-flight ones, close LevelDB) and exits 0; a second signal, or a stop that
 * takes longer than 15 s, exits at once with 1.
 */
function stopOnSignal(id: string, stop: () => Promise<void>, ctx: CommandContext): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        ctx.io.stderr.write(`ringkv node ${id}: ${signal} again, exiting without waiting\n`);
        process.exit(EXIT.requestFailed);
      }
      stopping = true;
      ctx.io.stderr.write(`ringkv node ${id}: ${signal}, stopping\n`);
      setTimeout(() => {
        ctx.io.stderr.write(`ringkv node ${id}: still stopping after ${stopTimeoutMs} ms, exiting\n`);
        process.exit(EXIT.requestFailed);
      }, stopTimeoutMs).unref();
      stop().then(
        () => {
          ctx.io.stderr.write(`ringkv node ${id}: stopped\n`);
          ctx.exit(EXIT.ok);
          resolve();
        },
        (err: unknown) => {
          ctx.io.stderr.write(`ringkv node ${id}: error while stopping: ${err instanceof Error ? err.message : String(err)}\n`);
          ctx.exit(EXIT.requestFailed);
          resolve();
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
