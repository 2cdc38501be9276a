/**
 * `ringkv incr KEY [DELTA] [--ttl S]` and `ringkv counter KEY`: PN-counters
 * and rate-limit buckets (POST/GET /counter/:key).
 */
import { Command, InvalidArgumentError } from 'commander';
import { withClient } from './client-session.js';
import type { CommandContext } from './command-context.js';
import { EXIT } from './exit-codes.js';
import { parseDurableQuorumArg, parseQuorumArg } from './quorum-arg.js';
import { reportFailure } from './request-failure.js';
import { UsageError } from './usage-error.js';

interface IncrFlags {
  readonly node?: string;
  readonly ttl?: number;
  readonly w?: number;
  readonly dw?: number;
  readonly json?: boolean;
}

interface CounterFlags {
  readonly node?: string;
  readonly r?: number;
  readonly json?: boolean;
}

const nodeHelp = 'node URL(s), comma-separated (default: $RINGKV_NODE or http://127.0.0.1:7001)';

/** A delta as the server takes it: an integer; the server judges the bound. */
export function parseDeltaArg(text: string): number {
  const v = /^[-+]?[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v)) throw new UsageError(`DELTA must be an integer (may be negative), got "${text.slice(0, 30)}"`);
  return v;
}

function parseTtlArg(text: string): number {
  const v = /^[0-9]{1,9}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError('expected a whole number of seconds (at least 1)');
  return v;
}

export function incrCommand(ctx: CommandContext): Command {
  return new Command('incr')
    .summary('add to a counter and print its count')
    .description(
      'Adds DELTA (default 1, may be negative) to the counter KEY and prints the count after it. ' +
        'With --ttl the counter is a rate-limit window: the first increment of a window fixes its end ' +
        '(now + S seconds), later ones add to it, and once it ends the counter reads 0 and the next ' +
        'increment starts a new window. Counters are not /kv keys: KEY is its own name space.\n\n' +
        'An increment is never retried once it may have reached a node (it may have counted).\n' +
        'Exit codes: 0 ok, 1 request failed, 2 usage error.',
    )
    .argument('<key>', 'the counter (1-1023 bytes of UTF-8)')
    .argument('[delta]', 'an integer to add (default 1; write negative ones after --, e.g. -- -3)')
    .option('--ttl <seconds>', 'make the counter a window of this many seconds', parseTtlArg)
    .option('--w <w>', 'write quorum for this request (1..N)', parseQuorumArg)
    .option('--dw <dw>', 'acks that must come from replicas that fsynced the increment (0..N; every replica written then fsyncs)', parseDurableQuorumArg)
    .option('--node <url>', nodeHelp)
    .option('--json', 'print {key, value}')
    .addHelpText('after', '\nExamples:\n  ringkv incr page:views\n  ringkv incr login:alice 1 --ttl 60\n  ringkv incr stock:42 -- -3\n')
    .action(async (key: string, deltaText: string | undefined, flags: IncrFlags) => {
      const { io } = ctx;
      let delta: number;
      try {
        delta = deltaText === undefined ? 1 : parseDeltaArg(deltaText);
      } catch (err) {
        io.stderr.write(`ringkv: ${(err as Error).message}\n`);
        ctx.exit(EXIT.usage);
        return;
      }
      try {
        const value = await withClient(flags.node, io, (c) => c.incr(key, delta, { ttl: flags.ttl, w: flags.w, dw: flags.dw }));
        io.stdout.write(flags.json === true ? `${JSON.stringify({ key, value })}\n` : `${value}\n`);
        ctx.exit(EXIT.ok);
      } catch (err) {
        ctx.exit(reportFailure(err, io));
      }
    });
}

export function counterCommand(ctx: CommandContext): Command {
  return new Command('counter')
    .summary("print a counter's count")
    .description(
      "Prints the count of the counter KEY: the join of R replicas' states; 0 when it was never " +
        'incremented or its window ended.\n\nExit codes: 0 ok, 1 request failed, 2 usage error.',
    )
    .argument('<key>', 'the counter')
    .option('--r <r>', 'read quorum for this request (1..N)', parseQuorumArg)
    .option('--node <url>', nodeHelp)
    .option('--json', 'print {key, value}')
    .addHelpText('after', '\nExamples:\n  ringkv counter page:views\n  ringkv counter login:alice --r 3\n')
    .action(async (key: string, flags: CounterFlags) => {
      const { io } = ctx;
      try {
        const value = await withClient(flags.node, io, (c) => c.counter(key, flags.r === undefined ? {} : { r: flags.r }));
        io.stdout.write(flags.json === true ? `${JSON.stringify({ key, value })}\n` : `${value}\n`);
        ctx.exit(EXIT.ok);
      } catch (err) {
        ctx.exit(reportFailure(err, io));
      }
    });
}
