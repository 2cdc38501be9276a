import { Command, InvalidArgumentError } from 'commander';
import { withClient } from './client-session.js';
import type { CommandContext } from './command-context.js';
import { EXIT } from './exit-codes.js';
import { parseDurableQuorumArg, parseQuorumArg } from './quorum-arg.js';
import { reportFailure } from './request-failure.js';

interface PutFlags {
  readonly node?: string;
  readonly context?: string;
  readonly contentType?: string;
  readonly w?: number;
  readonly dw?: number;
  readonly json?: boolean;
  readonly ttl?: number;
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
}

/** --ttl: whole seconds, at least 1 (the node enforces the upper bound). */
function parseTtlArg(text: string): number {
  const v = /^[0-9]{1,10}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(v) || v < 1) throw new InvalidArgumentError('expected a whole number of seconds, at least 1');
  return v;
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
    .option('--dw <dw>', 'acks that must come from replicas that fsynced the write (0..N; every replica written then fsyncs)', parseDurableQuorumArg)
    .option('--ttl <seconds>', 'the value expires this many seconds after the write (by the coordinating node\'s clock)', parseTtlArg)
    .option('--if-match <etag>', 'write only if the key\'s current ETag (from get) is this one; else exit 1 with PRECONDITION_FAILED')
    .option('--if-none-match <star>', '"*": create only if no value is stored (absent, deleted or expired)')
    .option('--json', 'print {key, context, etag}')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  ringkv put greeting hello\n' +
        '  CTX=$(ringkv put greeting hello)\n' +
        '  ringkv put greeting "hello again" --context "$CTX"\n' +
        '  ringkv put config.json - --content-type application/json < config.json\n' +
        '  ringkv put session:9 token --ttl 3600\n' +
        '  ringkv put counter 8 --if-match \'"3f9a0c1d2e4b5a67"\'   # ETag printed by ringkv get\n',
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
          ...(flags.dw === undefined ? {} : { dw: flags.dw }),
          ...(flags.ttl === undefined ? {} : { ttl: flags.ttl }),
          ...(flags.ifMatch === undefined ? {} : { ifMatch: flags.ifMatch }),
          ...(flags.ifNoneMatch === undefined ? {} : { ifNoneMatch: flags.ifNoneMatch }),
        };
        const { context, etag } = await withClient(flags.node, io, (c) => c.put(key, value, options));
        io.stdout.write(flags.json === true ? `${JSON.stringify({ key, context, ...(etag === undefined ? {} : { etag }) })}\n` : `${context}\n`);
        if (flags.json !== true && etag !== undefined) io.stderr.write(`etag: ${etag}\n`);
        ctx.exit(EXIT.ok);
      } catch (err) {
        ctx.exit(reportFailure(err, io));
      }
    });
}
