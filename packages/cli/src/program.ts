import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import type { CliIo } from './cli-io.js';
import type { CommandContext } from './command-context.js';
import { setCredentialFlags, type CredentialFlags } from './client-credentials.js';
import { backupCommand } from './backup-command.js';
import { clusterCommand } from './cluster-command.js';
import { counterCommand, incrCommand } from './counter-command.js';
import { delCommand } from './del-command.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { getCommand } from './get-command.js';
import { nodeCommand } from './node-command.js';
import { putCommand } from './put-command.js';
import { repairCommand } from './repair-command.js';
import { repairStoreCommand } from './repair-store-command.js';
import { restoreCommand } from './restore-command.js';
import { statusCommand } from './status-command.js';

const version = (createRequire(import.meta.url)('../package.json') as { version?: string }).version ?? '0.0.0';

const overview = `
Examples:
  ringkv node --id n1 --http 127.0.0.1:7001 --rpc 127.0.0.1:7101 --data ./data/n1
  ringkv put greeting hello
  ringkv get greeting
  ringkv del greeting
  ringkv status --node http://127.0.0.1:7002

Client commands talk to --node, else $RINGKV_NODE, else http://127.0.0.1:7001.
They send --token (or $RINGKV_TOKEN) as a bearer token; --ca FILE (or $RINGKV_CA) trusts a private CA for https://.
Exit codes: 0 ok, 1 request failed, 2 usage error, 3 not found (get).
Run "ringkv help COMMAND" for a command's flags and examples.
`;

/** Runs the `ringkv` command line and returns its exit code (it never calls process.exit itself). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const ctx: CommandContext = { io, exit: (c) => (code = c) };
  const program = new Command('ringkv')
    .description('ringkv: a Dynamo-style distributed key-value store')
    .version(version)
    .addHelpText('after', overview)
    .showHelpAfterError('(add --help for usage and examples)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    // Commander would exit with 1 on a bad command line; usage errors are 2 here.
    .exitOverride()
    // Global, so they go before or after any client command's own flags.
    .option('--token <token>', 'bearer token for nodes started with --auth-token (default: $RINGKV_TOKEN)')
    .option('--ca <file>', 'PEM CA to verify https:// nodes against (default: $RINGKV_CA)')
    .hook('preAction', (root) => setCredentialFlags(root.opts<CredentialFlags>()));
  for (const make of [nodeCommand, getCommand, putCommand, delCommand, statusCommand, incrCommand, counterCommand, repairCommand, repairStoreCommand, clusterCommand, backupCommand, restoreCommand]) {
    const command = make(ctx);
    command.copyInheritedSettings(program);
    program.addCommand(command);
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with 0; a bare `ringkv` prints help too, but as a usage error.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw err;
  }
  return code;
}
