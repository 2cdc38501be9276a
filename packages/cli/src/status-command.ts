import { Command } from 'commander';
import { withClient } from './client-session.js';
import type { CommandContext } from './command-context.js';
import { EXIT } from './exit-codes.js';
import { reportFailure } from './request-failure.js';
import { formatStatusDetails } from './status-details-format.js';
import { formatStatus } from './status-format.js';

interface StatusFlags {
  readonly node?: string;
  readonly json?: boolean;
}

export function statusCommand(ctx: CommandContext): Command {
  return new Command('status')
    .summary("show a node's view of the cluster")
    .description("Shows one node's id and addresses, N/R/W, the members, the partitions it owns and the keys it stores.")
    .option('--node <url>', 'node URL (default: $RINGKV_NODE or http://127.0.0.1:7001)')
    .option('--json', 'print the /status JSON as the node sent it')
    .addHelpText('after', '\nExamples:\n  ringkv status\n  ringkv status --node http://127.0.0.1:7002 --json | jq .members\n')
    .action(async (flags: StatusFlags) => {
      const { io } = ctx;
      try {
        const [node, status] = await withClient(flags.node, io, async (c) => {
          const target = c.nodes[0] ?? '';
          return [target, await c.status(target)] as const;
        });
        io.stdout.write(flags.json === true ? `${JSON.stringify(status.raw, null, 2)}\n` : formatStatus(status, node) + formatStatusDetails(status.raw));
        ctx.exit(EXIT.ok);
      } catch (err) {
        ctx.exit(reportFailure(err, io));
      }
    });
}
