import { Command } from 'commander';
import { withClient } from './client-session.js';
import type { CommandContext } from './command-context.js';
import { EXIT } from './exit-codes.js';
import { parseQuorumArg } from './quorum-arg.js';
import { reportFailure } from './request-failure.js';

interface PutFlags {
  readonly node?: string;
  readonly context?: string;
  readonly contentType?: string;
  readonly w?: number;
  readonly json?: boolean;
}

export function putCommand(ctx: CommandContext): Command {
  return new Command('put')
    .summary('write a value under a key')
    .description(
      'Writes VALUE (or stdin when VALUE is "-") under KEY and prints the new context.\n\n' +
        'Without --context the write is concurrent with whatever is stored and becomes a sibling of it; ' +
        'with the context of a read (or of your last write) it replaces exactly the values that context covers.',
    )
    .argument('<key>', 'the key (1-1024 bytes of UTF-8)')
    .argument('<value>', 'the value as text, or - to read bytes from stdin')
    .option('--node <url>', 'node URL(s), comma-separated (default: $RINGKV_NODE or http://127.0.0.1:7001)')
    .option('--context <ctx>', 'context from a previous get or put')
    .option('--content-type <type>', 'stored and returned with the value (default: text/plain; charset=utf-8, or application/octet-stream for stdin)')
    .option('--w <w>', 'write quorum for this request (1..N)', parseQuorumArg)
    .option('--json', 'print {key, context}')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  ringkv put greeting hello\n' +
        '  CTX=$(ringkv put greeting hello)\n' +
        '  ringkv put greeting "hello again" --context "$CTX"\n' +
        '  ringkv put config.json - --content-type application/json < config.json\n',
    )
    .action(async (key: string, valueArg: string, flags: PutFlags) => {
      const { io } = ctx;
      try {
        const fromStdin = valueArg === '-';
        const value = fromStdin ? await io.readStdin() : valueArg;
        const options = {
          contentType: flags.contentType ?? (fromStdin ? 'application/octet-stream' : 'text/plain; charset=utf-8'),
          ...(flags.context === undefined ? {} : { context: flags.context }),
          ...(flags.w === undefined ? {} : { w: flags.w }),
        };
        const { context } = await withClient(flags.node, io, (c) => c.put(key, value, options));
        io.stdout.write(flags.json === true ? `${JSON.stringify({ key, context })}\n` : `${context}\n`);
        ctx.exit(EXIT.ok);
      } catch (err) {
        ctx.exit(reportFailure(err, io));
      }
    });
}
