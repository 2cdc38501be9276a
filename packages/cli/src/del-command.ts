import { Command } from 'commander';
import { withClient } from './client-session.js';
import type { CommandContext } from './command-context.js';
import { EXIT } from './exit-codes.js';
import { parseDurableQuorumArg, parseQuorumArg } from './quorum-arg.js';
import { reportFailure } from './request-failure.js';

interface DelFlags {
  readonly node?: string;
  readonly context?: string;
  readonly w?: number;
  readonly dw?: number;
  readonly json?: boolean;
}

export function delCommand(ctx: CommandContext): Command {
  return new Command('del')
    .alias('delete')
    .summary('delete a key')
    .description(
      'Deletes KEY. A delete only removes the values its context covers, so without --context ' +
        'the key is read first and what that read saw is deleted (a value written concurrently ' +
        'survives as a sibling, as it should).',
    )
    .argument('<key>', 'the key')
    .option('--node <url>', 'node URL(s), comma-separated (default: $RINGKV_NODE or http://127.0.0.1:7001)')
    .option('--context <ctx>', 'delete exactly what this context covers (skips the read)')
    .option('--w <w>', 'write quorum for this request (1..N)', parseQuorumArg)
    .option('--dw <dw>', 'acks that must come from replicas that fsynced the write (0..N; every replica written then fsyncs)', parseDurableQuorumArg)
    .option('--json', 'print {key, deleted}')
    .addHelpText('after', '\nExamples:\n  ringkv del greeting\n  ringkv del greeting --context "$CTX" --w 3\n')
    .action(async (key: string, flags: DelFlags) => {
      const { io } = ctx;
      try {
        const deleted = await withClient(flags.node, io, async (c) => {
          let context = flags.context;
          if (context === undefined) {
            const seen = await c.get(key);
            if (!seen.found) return false;
            context = seen.context;
          }
          await c.delete(key, { context, ...(flags.w === undefined ? {} : { w: flags.w }), ...(flags.dw === undefined ? {} : { dw: flags.dw }) });
          return true;
        });
        if (flags.json === true) io.stdout.write(`${JSON.stringify({ key, deleted })}\n`);
        else io.stderr.write(deleted ? `deleted ${key}\n` : `not found (nothing to delete): ${key}\n`);
        ctx.exit(EXIT.ok);
      } catch (err) {
        ctx.exit(reportFailure(err, io));
      }
    });
}
