import { BackupFileError, restoreCluster, verifyBackupFile, type RestoreProgress, type RestoreSummary } from '@ringkv/client';
import { Command } from 'commander';
import { ProgressLine, formatBytes } from './backup-progress.js';
import { resolveCredentials } from './client-credentials.js';
import type { CommandContext } from './command-context.js';
import { EXIT } from './exit-codes.js';
import { resolveNodeUrls } from './node-target.js';
import { reportFailure } from './request-failure.js';
import { UsageError } from './usage-error.js';

interface RestoreFlags {
  readonly node?: string;
  readonly w?: string;
  readonly batch?: string;
  readonly concurrency?: string;
  readonly verifyOnly?: boolean;
  /** false with --no-compact */
  readonly compact?: boolean;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

const examples = `
Examples:
  ringkv restore cluster.ringkv
  ringkv restore cluster.ringkv --node http://10.0.0.5:7001 --w 3
  ringkv restore cluster.ringkv --verify-only      # check the file, write nothing

The file is checked in full first (magic, format version, every record, entry
count, SHA-256); a damaged or truncated file is refused before anything is
written. Records are merged into the cluster like replication merges them:
a key holding a newer version keeps it, a concurrent version stays a sibling,
and restoring the same file twice changes nothing. Contexts from before the
backup still work after it. Then every node compacts its LevelDB (reads
after a bulk import cost several times more until LevelDB has settled;
--no-compact skips this, e.g. for a small restore into a busy cluster).
Exit code 1 if any key did not reach W replicas.
`;

const intFlag = (name: string, raw: string | undefined, min: number, max: number): number | undefined => {
  if (raw === undefined) return undefined;
  const v = /^[0-9]{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(v >= min && v <= max)) throw new UsageError(`${name}: expected an integer in ${min}..${max}, got "${raw}"`);
  return v;
};

export function restoreCommand(ctx: CommandContext): Command {
  return new Command('restore')
    .summary('merge a backup file back into a cluster')
    .description('Writes every key of a backup file back into a running cluster by merging (never overwriting).')
    .argument('<file>', 'backup file written by "ringkv backup"')
    .option('--node <url>', 'node URL(s) to read the ring from (default: $RINGKV_NODE or http://127.0.0.1:7001)')
    .option('--w <w>', 'acknowledgements needed per key (default: the cluster W)')
    .option('--batch <entries>', 'keys per request (1..1000, default 500)')
    .option('--concurrency <c>', 'requests in flight (1..64, default 4)')
    .option('--verify-only', 'check the file and print its summary; write nothing')
    .option('--no-compact', 'do not compact LevelDB on every node after the restore')
    .option('--json', 'print the summary as JSON')
    .option('--quiet', 'no progress on stderr')
    .addHelpText('after', examples)
    .action(async (file: string, flags: RestoreFlags) => {
      const { io } = ctx;
      const progress = new ProgressLine(io, flags.quiet !== true);
      try {
        const w = intFlag('--w', flags.w, 1, 64);
        const batch = intFlag('--batch', flags.batch, 1, 1000);
        const concurrency = intFlag('--concurrency', flags.concurrency, 1, 64);
        if (flags.verifyOnly === true) {
          const v = await verifyBackupFile(file, (b) => progress.update(undefined, `verifying: ${formatBytes(b)}`));
          progress.done(`verified ${v.entries} entries`);
          io.stdout.write(
            flags.json === true
              ? `${JSON.stringify(v, null, 2)}\n`
              : `${file}: intact, ${v.entries} keys, ${v.bytes} bytes, written ${v.header.createdAt} from ${v.header.nodes.join(', ')}, sha256 ${v.sha256}\n`,
          );
          ctx.exit(EXIT.ok);
          return;
        }
        const nodes = resolveNodeUrls(flags.node, io.env);
        const summary = await restoreCluster({
          ...resolveCredentials(io.env),
          nodes,
          file,
          ...(w === undefined ? {} : { w }),
          ...(batch === undefined ? {} : { batchEntriesMax: batch }),
          ...(concurrency === undefined ? {} : { concurrency }),
          compact: flags.compact !== false,
          onProgress: (p) => progress.update(p.phase === 'compact' ? undefined : p.bytesRead / Math.max(1, p.fileBytes), describe(p)),
        });
        progress.done(`restore: ${summary.restored} of ${summary.entries} keys in ${(summary.durationMs / 1000).toFixed(1)} s`);
        io.stdout.write(
          flags.json === true
            ? `${JSON.stringify(summary, null, 2)}\n`
            : `${file}: ${summary.restored} of ${summary.entries} keys restored, ${summary.failed} failed ` +
                `(${summary.requests} requests, ${summary.retried} keys retried)\n` +
                summary.failures.map((f) => `  ${JSON.stringify(f.key)}: ${f.error}\n`).join('') +
                compactLine(summary),
        );
        ctx.exit(summary.failed > 0 ? EXIT.requestFailed : EXIT.ok);
      } catch (err) {
        progress.end();
        if (err instanceof BackupFileError) {
          io.stderr.write(`ringkv: refused: ${err.message}\n`);
          ctx.exit(EXIT.requestFailed);
          return;
        }
        ctx.exit(reportFailure(err, io));
      }
    });
}

function compactLine(summary: RestoreSummary): string {
  if (summary.compactMs === undefined) return '';
  const failures = summary.compactFailures ?? [];
  const seconds = (summary.compactMs / 1000).toFixed(1);
  if (failures.length === 0) return `LevelDB compacted on every node in ${seconds} s\n`;
  return (
    `LevelDB compaction failed on ${failures.length} node(s) (the restored data is in place; POST /admin/compact there later):\n` +
    failures.map((f) => `  ${f.node}: ${f.error}\n`).join('')
  );
}

function describe(p: RestoreProgress): string {
  if (p.phase === 'compact') return 'compacting LevelDB on every node (--no-compact skips this)';
  if (p.phase === 'verify') return `verifying ${formatBytes(p.bytesRead)} of ${formatBytes(p.fileBytes)}`;
  return `${p.restored}${p.entriesTotal === undefined ? '' : `/${p.entriesTotal}`} keys restored${p.failed > 0 ? `, ${p.failed} failed` : ''}`;
}
