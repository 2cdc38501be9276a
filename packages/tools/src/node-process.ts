import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Extra flags for the Node runtime of every node started, from
 * RINGKV_NODE_FLAGS (space-separated): how to profile a benchmark's servers,
 * e.g. RINGKV_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' scripts/bench.
 * (NODE_OPTIONS refuses --cpu-prof.)
 */
export function nodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env['RINGKV_NODE_FLAGS'] ?? '').split(/\s+/).filter((f) => f.length > 0);
}

/** Starts the line written to a node's log before each start. */
export const RUN_HEADER_PREFIX = '=== ringkv node ';

/** Everything needed to (re)start one node process the same way every time. */
export interface NodeSpec {
  /** 1-based position in the cluster; the id is `n<index>` */
  readonly index: number;
  readonly id: string;
  readonly host: string;
  readonly httpPort: number;
  readonly rpcPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** the `ringkv` arguments, starting with `node` */
  readonly args: readonly string[];
  /** started with --tls-cert: its HTTP API is https:// */
  readonly tls?: boolean;
}

/**
 * The built `ringkv` entry point. Both src/ and dist/ of this package sit two
 * levels below packages/, so the same relative path works from vitest and from
 * the compiled scripts.
 */
export function cliEntry(): string {
  return fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));
}

export function httpUrl(spec: Pick<NodeSpec, 'host' | 'httpPort' | 'tls'>): string {
  return `${spec.tls === true ? 'https' : 'http'}://${spec.host}:${spec.httpPort}`;
}

export function rpcAddress(spec: Pick<NodeSpec, 'host' | 'rpcPort'>): string {
  return `${spec.host}:${spec.rpcPort}`;
}

/**
 * Starts one node with its output appended to its log file. The child always
 * gets its own process group: a Ctrl-C in the terminal then reaches only the
 * supervisor, which stops the nodes in order instead of every node receiving
 * two signals. `keepAfterExit` also unrefs it, so the caller may exit and leave
 * the node running.
 */
export function spawnNode(spec: NodeSpec, options: { readonly keepAfterExit?: boolean; readonly entry?: string } = {}): ChildProcess {
  const entry = options.entry ?? cliEntry();
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (pnpm build)`);
  mkdirSync(spec.dataDir, { recursive: true });
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const log = openSync(spec.logFile, 'a');
  try {
    // Logs accumulate over restarts; the header marks where this run's lines begin.
    writeSync(log, `${RUN_HEADER_PREFIX}${spec.id} started ${new Date().toISOString()} ===\n`);
    const child = spawn(process.execPath, [...nodeFlags(), entry, ...spec.args], {
      stdio: ['ignore', log, log],
      detached: true,
      env: process.env,
    });
    if (options.keepAfterExit === true) child.unref();
    return child;
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(log);
  }
}

/** The `ringkv node …` arguments of the node at `index` (1-based) of a local cluster. */
export function nodeArgs(options: {
  readonly id: string;
  readonly host: string;
  readonly httpPort: number;
  readonly rpcPort: number;
  readonly dataDir: string;
  readonly seeds: readonly string[];
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly extraArgs?: readonly string[];
}): string[] {
  const args = ['node', '--id', options.id, '--http', `${options.host}:${options.httpPort}`, '--rpc', `${options.host}:${options.rpcPort}`, '--data', options.dataDir];
  if (options.seeds.length > 0) args.push('--seeds', options.seeds.join(','));
  args.push('--n', String(options.n), '--r', String(options.r), '--w', String(options.w));
  args.push(...(options.extraArgs ?? []));
  return args;
}
