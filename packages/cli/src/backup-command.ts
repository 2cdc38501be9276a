import { access } from 'node:fs/promises';
import { backupCluster } from '@ringkv/client';
import { Command } from 'commander';
import { ProgressLine, formatBytes } from './backup-progress.js';
import { resolveCredentials } from './client-credentials.js';
import type { CommandContext } from './command-context.js';
import { EXIT } from './exit-codes.js';
import { resolveNodeUrls } from './node-target.js';
import { reportFailure } from './request-failure.js';
import { UsageError } from './usage-error.js';

interface BackupFlags {
  readonly out?: string;
  readonly node?: string;
  readonly minReplicas?: string;
  readonly force?: boolean;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

const examples = `
Examples:
  ringkv backup --out cluster.ringkv
  ringkv backup --out /backups/$(date +%F).ringkv --node http://10.0.0.5:7001,http://10.0.0.6:7001
  ringkv backup --out b.ringkv --min-replicas 3 --json   # every replica must answer in full

Every partition is read from all its up replicas and merged per key, so the
file holds every key's siblings (tombstones included) and causal history; a
restore (ringkv restore) merges them back. By default each partition needs
N-W+1 complete replica reads: enough to meet every write quorum.
The file is written as FILE.partial and renamed when complete.
`;

export function backupCommand(ctx: CommandContext): Command {
  return new Command('backup')
    .summary('copy every key of the cluster into a backup file')
    .description('Streams every key of a running cluster, with its full sibling set and causal history, into one file.')
    .requiredOption('--out <file>', 'backup file to write (refused if it exists, unless --force)')
    .option('--node <url>', 'node URL(s) to read the ring from (default: $RINGKV_NODE or http://127.0.0.1:7001)')
    .option('--min-replicas <k>', 'replicas of each partition that must stream it completely (default N-W+1)')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'print the summary as JSON')
    .option('--quiet', 'no progress on stderr')
    .addHelpText('after', examples)
    .action(async (flags: BackupFlags) => {
      const { io } = ctx;
      const progress = new ProgressLine(io, flags.quiet !== true);
      try {
        const out = flags.out ?? '';
        let minReplicas: number | undefined;
        if (flags.minReplicas !== undefined) {
          if (!/^[1-9][0-9]?$/.test(flags.minReplicas)) throw new UsageError(`--min-replicas: expected a positive integer, got "${flags.minReplicas}"`);
          minReplicas = Number(flags.minReplicas);
        }
        if (flags.force !== true && (await exists(out))) throw new UsageError(`${out} exists; choose another --out or add --force`);
        const nodes = resolveNodeUrls(flags.node, io.env);
        const summary = await backupCluster({
          ...resolveCredentials(io.env),
          nodes,
          out,
          ...(minReplicas === undefined ? {} : { minReplicas }),
          tool: 'ringkv backup',
          onProgress: (p) =>
            progress.update(p.partitionsDone / p.partitionCount, `partition ${p.partitionsDone}/${p.partitionCount}, ${p.keys} keys, ${formatBytes(p.bytes)}`),
        });
        progress.done(`backup: ${summary.keys} keys, ${formatBytes(summary.bytes)} in ${(summary.durationMs / 1000).toFixed(1)} s`);
        io.stdout.write(
          flags.json === true
            ? `${JSON.stringify(summary, null, 2)}\n`
            : `${summary.file}: ${summary.keys} keys (${summary.deletedKeys} deleted, ${summary.keysWithSiblings} with siblings), ` +
                `${summary.bytes} bytes, sha256 ${summary.sha256}\n` +
                (summary.replicaReadsFailed.length > 0
                  ? `${summary.replicaReadsFailed.length} replica reads failed (each partition still had ${summary.minReplicas} complete):\n` +
                    summary.replicaReadsFailed.slice(0, 10).map((f) => `  ${f}\n`).join('')
                  : '') +
                (summary.hintReadsFailed.length > 0
                  ? `${summary.hintReadsFailed.length} reads of hinted copies failed (writes held only there may be missing):\n` +
                    summary.hintReadsFailed.slice(0, 10).map((f) => `  ${f}\n`).join('')
                  : ''),
        );
        ctx.exit(EXIT.ok);
      } catch (err) {
        progress.end();
        ctx.exit(reportFailure(err, io));
      }
    });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
