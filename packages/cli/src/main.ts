#!/usr/bin/env node
import { processIo } from './cli-io.js';
import { runCli } from './program.js';

// `ringkv get k | head -c 10` closes the pipe early: the reader is done, nothing failed.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const code = await runCli(process.argv.slice(2), processIo());
process.exitCode = code;
// Open handles (a server that leaves a timer behind) must not keep a finished command alive.
setTimeout(() => process.exit(code), 1000).unref();
