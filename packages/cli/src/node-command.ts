import { Command } from 'commander';
import type { CommandContext } from './command-context.js';
import { EXIT } from './exit-codes.js';
import type { NodeFlags } from './node-flags.js';
import { reportFailure } from './request-failure.js';
import { collect } from './security-flags.js';

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
    .option('--advertise <host:port>', 'HTTP address told to peers and clients when it differs from --http (0.0.0.0 binds, NAT, containers)')
    .option('--advertise-rpc <host:port>', 'RPC address peers dial when it differs from --rpc')
    .option('--clock-offset-ms <ms>', 'TEST ONLY (chaos clock skew): shift this node\'s clock by ±ms')
    .option('--clock-offset-file <file>', 'TEST ONLY (chaos clock jumps): add the integer ms in this file to the clock, re-read every 100 ms')
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
    .option('--cache-mb <mib>', 'LevelDB block cache in MiB (default 8)')
    .option('--write-buffer-mb <mib>', 'LevelDB memtable in MiB (default 32); larger: fewer compactions under heavy writes, more memory')
    .option('--max-open-files <n>', "LevelDB table files kept open (default LevelDB's 1000)")
    .option('--table-reads <mode>', 'how LevelDB reads table files: pread (their pages stay in the page cache, out of the RSS) or mmap (LevelDB\'s own way: RSS grows with the data read, and on large data sets reads cost more; default pread)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
    .option('--gossip-interval-ms <ms>', 'milliseconds between gossip rounds; a dead node is noticed after about 4-8 rounds', '500')
    .option('--handoff-interval-ms <ms>', 'milliseconds between hinted-handoff delivery rounds', '500')
    .option('--handoff-batch <count>', 'hinted records sent to one primary per round (the delivery rate limit)', '200')
    .option('--ae-interval-ms <ms>', 'milliseconds between anti-entropy exchanges (one partition with one fellow replica each)', '1000')
    .option('--tombstone-grace-ms <ms>', 'how long a tombstone stays once every replica is known to hold it', '60000')
    .option(
      '--lww-prefix <prefix>',
      'keys starting with this are last-writer-wins: concurrent writes are dropped, newest timestamp kept (repeatable; same on every node)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--expiry-purge-interval-ms <ms>', 'milliseconds between rounds that drop expired values from disk (via the expiry index)', '1000')
    .option('--scrub-interval-hours <hours>', 'hours between scrubs: every stored record re-read and its checksum checked, corrupt ones repaired from the other replicas (0: only POST /admin/scrub)', '168')
    .option('--scrub-rate <records>', 'records a scrub reads per second at most, so that it leaves the node its CPU (0: no limit)', '20000')
    .option('--auth-token <token>', 'clients must send Authorization: Bearer <token> (repeatable: several valid at once; ≥ 16 characters)', collect)
    .option('--auth-token-file <file>', 'more tokens, one per line (# comments); re-read on SIGHUP')
    .option('--cluster-secret <secret>', 'shared by all nodes; each RPC connection proves it (HMAC) before serving (≥ 16 bytes)')
    .option('--cluster-secret-file <file>', 'the cluster secret from a file (keeps it out of ps)')
    .option('--tls-cert <file>', 'PEM certificate: HTTPS for clients and TLS on the RPC port (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-ca <file>', 'CA that signed the nodes\' certificates: peers are verified against it (mutual TLS on RPC)')
    .option('--insecure', 'allow a non-loopback --http without a token, or --rpc without a cluster secret')
    .option('--http-inflight-max <count>', 'client requests handled at once; more get 503 OVERLOADED (default 512)')
    .option('--http-connections-max <count>', 'open client connections (default 1024)')
    .option('--http-header-bytes-max <bytes>', 'request line + headers (default 16384)')
    .option('--http-headers-timeout-ms <ms>', 'time a client has to send its headers (default 10000)')
    .option('--http-body-timeout-ms <ms>', 'time a client has to send its whole request (default 300000)')
    .option('--http-idle-timeout-ms <ms>', 'close a connection silent for this long, even mid-request (default 0: never)')
    .option('--key-bytes-max <bytes>', 'longest key, at most 1024 (default 1024)')
    .option('--context-bytes-max <chars>', 'longest X-Context header, at most 8192 (default 8192)')
    .option('--siblings-max <count>', 'a client write that would give a key more siblings is refused with 409 (default 100)')
    .option('--rpc-connections-max <count>', 'accepted RPC connections (default 1024)')
    .option('--rpc-handshake-timeout-ms <ms>', 'an RPC connection must finish TLS and its handshake within this (default 2000)')
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
        `ringkv node ${running.id} serving: ${options.security?.tls === undefined ? 'http' : 'https'}://${running.httpAddress}  rpc ${running.rpcAddress}  ` +
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
