import { Command } from 'commander';
import { withClient } from './client-session.js';
import type { CommandContext } from './command-context.js';
import { EXIT } from './exit-codes.js';
import { reportFailure } from './request-failure.js';
import { UsageError } from './usage-error.js';

interface RepairFlags {
  readonly node?: string;
  readonly partition?: string;
  readonly json?: boolean;
}

export function repairCommand(ctx: CommandContext): Command {
  return new Command('repair')
    .summary('run anti-entropy now on a node')
    .description(
      'Makes the node compare its Merkle trees with every live fellow replica now — for one partition,\n' +
        'or for every partition it replicates — and repair both sides by merging. Anti-entropy also runs\n' +
        'by itself in the background (--ae-interval-ms); this is for "repair after a disk swap, now".',
    )
    .option('--node <url>', 'node URL (default: $RINGKV_NODE or http://127.0.0.1:7001)')
    .option('--partition <p>', 'only this partition (one the node replicates)')
    .option('--json', 'print the JSON summary')
    .addHelpText('after', '\nExamples:\n  ringkv repair\n  ringkv repair --partition 17 --node http://127.0.0.1:7002\n')
    .action(async (flags: RepairFlags) => {
      const { io } = ctx;
      try {
        let partition: number | undefined;
        if (flags.partition !== undefined) {
          partition = Number(flags.partition);
          if (!/^[0-9]{1,5}$/.test(flags.partition)) throw new UsageError(`--partition: expected a partition number, got "${flags.partition}"`);
        }
        const summary = await withClient(flags.node, io, (c) => c.repair(partition === undefined ? {} : { partition }));
        io.stdout.write(
          flags.json === true
            ? `${JSON.stringify(summary, null, 2)}\n`
            : `${summary.exchanges} exchanges over ${summary.partitions} partitions (${summary.failed} failed): ` +
                `${summary.keysRepaired} keys repaired, ${summary.bytesSent} bytes sent, ${summary.bytesReceived} received\n`,
        );
        ctx.exit(summary.failed > 0 ? EXIT.requestFailed : EXIT.ok);
      } catch (err) {
        if (err instanceof UsageError) {
          io.stderr.write(`ringkv: ${err.message}\n`);
          ctx.exit(EXIT.usage);
          return;
        }
        ctx.exit(reportFailure(err, io));
      }
    });
}
