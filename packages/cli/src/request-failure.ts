import { RingkvConnectionError, RingkvHttpError } from '@ringkv/client';
import type { CliIo } from './cli-io.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/**
 * Prints why a command failed and picks its exit code. The server's error code
 * comes first on the line so that scripts can grep for it.
 */
export function reportFailure(err: unknown, io: CliIo): ExitCode {
  if (err instanceof UsageError) {
    // One line per problem, each prefixed, so that every one reads on its own.
    for (const line of err.message.split('\n')) io.stderr.write(`ringkv: ${line}\n`);
    return EXIT.usage;
  }
  if (err instanceof RingkvHttpError) {
    const details = Object.entries(err.details)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const from = err.node === undefined ? '' : ` from ${err.node}`;
    io.stderr.write(`ringkv: ${err.code} (HTTP ${err.status}${from}): ${err.message}${details === '' ? '' : ` [${details}]`}\n`);
    return EXIT.requestFailed;
  }
  if (err instanceof RingkvConnectionError) {
    io.stderr.write(`ringkv: ${err.message}\n`);
    return EXIT.requestFailed;
  }
  io.stderr.write(`ringkv: ${err instanceof Error ? err.message : String(err)}\n`);
  return EXIT.requestFailed;
}
