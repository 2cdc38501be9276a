import type { CliIo } from './cli-io.js';
import type { ExitCode } from './exit-codes.js';

/** Handed to every command: where to write, and how to report its exit code. */
export interface CommandContext {
  readonly io: CliIo;
  exit(code: ExitCode): void;
}
