import { resolve } from 'node:path';
import { Command } from 'commander';
import { StoreLockedError, repairStore } from '@ringkv/node';
import type { CommandContext } from './command-context.js';
import { EXIT } from './exit-codes.js';

interface RepairStoreFlags {
  readonly data?: string;
  readonly json?: boolean;
}

export function repairStoreCommand(ctx: CommandContext): Command {
  return new Command('repair-store')
    .summary("rebuild a stopped node's damaged LevelDB directory (offline)")
    .description(
      [
        'For a node whose log says LevelDB found a damaged table block ("Corruption: corrupted compressed block contents"):',
        'reads under the block fail, scans over it fail, and LevelDB stops taking writes once a compaction reaches it.',
        'Stop the node, run this on its data directory, start it again. LevelDB\'s repair keeps every record it can',
        'still read and drops the rest; the node then starts with a new actor epoch and in recovery (it serves no',
        'reads of its own copies until anti-entropy has brought back what was dropped from the other replicas).',
        "(Damage LevelDB does not notice is caught by the records' own",
        'checksums and repaired while the node runs.)',
      ].join(' '),
    )
    .requiredOption('--data <dir>', "the stopped node's data directory")
    .option('--json', 'print the JSON summary')
    .addHelpText('after', '\nExample:\n  ringkv repair-store --data ./data/n2\n')
    .action(async (flags: RepairStoreFlags) => {
      const { io } = ctx;
      const dir = resolve(flags.data as string);
      if (flags.json !== true) io.stderr.write(`repairing ${dir} (LevelDB reads every table and log it holds; minutes for millions of keys)...\n`);
      try {
        const outcome = await repairStore(dir);
        io.stdout.write(
          flags.json === true
            ? `${JSON.stringify({ dir, ...outcome })}\n`
            : `repaired in ${(outcome.ms / 1000).toFixed(1)} s: ${outcome.records} records and ${outcome.hints} hints readable.\n` +
                'Start the node: it takes a new actor epoch and recovers what was lost from its fellow replicas (anti-entropy)\n' +
                'before it serves reads of its own copies.\n',
        );
        ctx.exit(EXIT.ok);
      } catch (err) {
        io.stderr.write(
          `ringkv: ${err instanceof StoreLockedError ? `${dir} is open in a running node; stop it first` : err instanceof Error ? err.message : String(err)}\n`,
        );
        ctx.exit(EXIT.requestFailed);
      }
    });
}
