import { Command } from 'commander';
import { withClient } from './client-session.js';
import type { CommandContext } from './command-context.js';
import { EXIT } from './exit-codes.js';
import { parseQuorumArg } from './quorum-arg.js';
import { reportFailure } from './request-failure.js';
import { siblingJson } from './sibling-json.js';

interface GetFlags {
  readonly node?: string;
  readonly r?: number;
  readonly json?: boolean;
}

export function getCommand(ctx: CommandContext): Command {
  return new Command('get')
    .summary('read the value(s) stored under a key')
    .description(
      'Prints the value of KEY on stdout and its context on stderr. When concurrent writes left ' +
        'several values (siblings), prints each under a header line; write the resolved value with ' +
        '`ringkv put KEY VALUE --context CTX` to replace them all.\n\n' +
        'Exit codes: 0 found, 3 not found, 1 request failed, 2 usage error.',
    )
    .argument('<key>', 'the key (1-1024 bytes of UTF-8)')
    .option('--node <url>', 'node URL(s), comma-separated (default: $RINGKV_NODE or http://127.0.0.1:7001)')
    .option('--r <r>', 'read quorum for this request (1..N)', parseQuorumArg)
    .option('--json', 'print {key, found, context, siblings:[{contentType, value (base64), text}]}')
    .addHelpText(
      'after',
      '\nExamples:\n  ringkv get user:42\n  ringkv get user:42 --r 3 --node http://127.0.0.1:7002\n  ringkv get user:42 --json | jq -r .siblings[0].text\n',
    )
    .action(async (key: string, flags: GetFlags) => {
      const { io } = ctx;
      try {
        const got = await withClient(flags.node, io, (c) => c.get(key, flags.r === undefined ? {} : { r: flags.r }));
        if (!got.found) {
          if (flags.json === true) io.stdout.write(`${JSON.stringify({ key, found: false, ...(got.context === undefined ? {} : { context: got.context }) })}\n`);
          else io.stderr.write(`not found: ${key}\n`);
          ctx.exit(EXIT.notFound);
          return;
        }
        if (flags.json === true) {
          const etag = got.etag === undefined ? {} : { etag: got.etag };
          io.stdout.write(`${JSON.stringify({ key, found: true, context: got.context, ...etag, siblings: got.siblings.map(siblingJson) })}\n`);
        } else if (got.siblings.length === 1 && got.siblings[0] !== undefined) {
          const value = got.siblings[0].value;
          io.stdout.write(value);
          // A terminal needs the line ended; a pipe gets the bytes exactly as stored.
          if (io.stdout.isTTY === true && value[value.length - 1] !== 0x0a) io.stdout.write('\n');
          io.stderr.write(`context: ${got.context}\n`);
          if (got.etag !== undefined) io.stderr.write(`etag: ${got.etag}\n`);
        } else {
          got.siblings.forEach((s, i) => {
            io.stdout.write(`--- sibling ${i + 1} of ${got.siblings.length} (${s.contentType}) ---\n`);
            io.stdout.write(s.value);
            if (s.value[s.value.length - 1] !== 0x0a) io.stdout.write('\n');
          });
          io.stderr.write(`context: ${got.context}\n`);
          if (got.etag !== undefined) io.stderr.write(`etag: ${got.etag}\n`);
          io.stderr.write(`${got.siblings.length} siblings: resolve with  ringkv put ${JSON.stringify(key)} VALUE --context ${got.context}\n`);
        }
        ctx.exit(EXIT.ok);
      } catch (err) {
        ctx.exit(reportFailure(err, io));
      }
    });
}
