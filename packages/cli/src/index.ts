export { runCli } from './program.js';
export { processIo, type CliIo } from './cli-io.js';
export { parseNodeFlags, type NodeFlags, LOG_LEVELS } from './node-flags.js';
export { parseHostPort, formatHostPort, type HostPort } from './host-port.js';
export { resolveNodeUrls, DEFAULT_NODE_URL, NODE_URL_ENV } from './node-target.js';
export { EXIT, type ExitCode } from './exit-codes.js';
