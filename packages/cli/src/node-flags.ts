import { resolve } from 'node:path';
import { DEFAULT_CLUSTER_PARAMS, validateClusterParams, type ClusterParams } from '@ringkv/core';
import { NODE_DEFAULTS, TABLE_READS, bindProblems, type NodeOptions, type TableReads } from '@ringkv/node';
import { formatHostPort, parseHostPort, type HostPort } from './host-port.js';
import { UsageError } from './usage-error.js';
import { parseSecurityFlags, type SecurityFlags } from './security-flags.js';

/** The `ringkv node` flags as commander hands them over: text, not yet checked. */
export interface NodeFlags extends SecurityFlags {
  readonly id?: string;
  readonly http?: string;
  readonly rpc?: string;
  readonly advertise?: string;
  readonly advertiseRpc?: string;
  readonly clockOffsetMs?: string;
  readonly clockOffsetFile?: string;
  readonly data?: string;
  readonly seeds?: string;
  readonly n?: string;
  readonly r?: string;
  readonly w?: string;
  readonly partitions?: string;
  readonly clusterName?: string;
  readonly weight?: string;
  readonly requestTimeoutMs?: string;
  readonly valueBytesMax?: string;
  readonly sync?: boolean;
  readonly cacheMb?: string;
  readonly maxOpenFiles?: string;
  readonly tableReads?: string;
  readonly writeBufferMb?: string;
  readonly logLevel?: string;
  readonly gossipIntervalMs?: string;
  readonly handoffIntervalMs?: string;
  readonly handoffBatch?: string;
  readonly aeIntervalMs?: string;
  readonly tombstoneGraceMs?: string;
  /** --lww-prefix, repeatable */
  readonly lwwPrefix?: readonly string[];
  readonly expiryPurgeIntervalMs?: string;
  readonly scrubIntervalHours?: string;
  readonly scrubRate?: string;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** A value travels whole in one HTTP body and one RPC frame to each of N replicas. */
export const valueBytesMaxLimit = 64 * 1024 * 1024;
const requestTimeoutMsMax = 10 * 60 * 1000;
const gossipIntervalMsMin = 10;
const gossipIntervalMsMax = 60_000;
const weightMax = 64;

/**
 * Turns the flags into NodeOptions, or throws one UsageError listing every
 * problem found, so a user fixes a command line in one go rather than flag by flag.
 */
export function parseNodeFlags(flags: NodeFlags, cwd: string = process.cwd()): NodeOptions {
  const problems: string[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
      return undefined;
    }
  };
  const int = (flag: string, text: string | undefined, fallback: number, lo: number, hi: number): number => {
    if (text === undefined) return fallback;
    const v = /^[0-9]{1,12}$/.test(text.trim()) ? Number(text.trim()) : NaN;
    if (!Number.isInteger(v) || v < lo || v > hi) {
      problems.push(`${flag}: expected an integer in ${lo}..${hi}, got "${text}"`);
      return fallback;
    }
    return v;
  };

  const id = flags.id ?? '';
  if (!NAME_PATTERN.test(id)) problems.push(`--id: expected 1-64 characters of [A-Za-z0-9_.-], got "${id}"`);
  const clusterName = flags.clusterName ?? NODE_DEFAULTS.clusterName;
  if (!NAME_PATTERN.test(clusterName)) problems.push(`--cluster-name: expected 1-64 characters of [A-Za-z0-9_.-], got "${clusterName}"`);
  const data = flags.data ?? '';
  if (data.trim() === '') problems.push('--data: a directory is required');

  const defaultHttp: HostPort = { host: NODE_DEFAULTS.httpHost, port: NODE_DEFAULTS.httpPort };
  const defaultRpc: HostPort = { host: NODE_DEFAULTS.rpcHost, port: NODE_DEFAULTS.rpcPort };
  const http = flags.http === undefined ? defaultHttp : attempt(() => parseHostPort(flags.http ?? '', '--http'));
  const rpc = flags.rpc === undefined ? defaultRpc : attempt(() => parseHostPort(flags.rpc ?? '', '--rpc'));
  if (http !== undefined && rpc !== undefined && http.port === rpc.port && http.host === rpc.host) {
    problems.push(`--http and --rpc must be different addresses (both ${formatHostPort(http)})`);
  }

  // What the node tells others; a wildcard bind address cannot be dialled, so it needs one.
  const advertise = flags.advertise === undefined ? undefined : attempt(() => parseHostPort(flags.advertise ?? '', '--advertise'));
  const advertiseRpc = flags.advertiseRpc === undefined ? undefined : attempt(() => parseHostPort(flags.advertiseRpc ?? '', '--advertise-rpc'));
  for (const [what, told] of [['--advertise', advertise], ['--advertise-rpc', advertiseRpc]] as const) {
    if (told?.host === '0.0.0.0' || told?.host === '::') problems.push(`${what}: ${formatHostPort(told)} is not an address others can dial`);
  }

  const clockOffsetText = flags.clockOffsetMs?.trim();
  const clockOffsetMs = clockOffsetText === undefined ? undefined : /^[+-]?[0-9]{1,12}$/.test(clockOffsetText) ? Number(clockOffsetText) : NaN;
  if (clockOffsetMs !== undefined && !(Math.abs(clockOffsetMs) <= 365 * 86_400_000)) {
    problems.push(`--clock-offset-ms: expected an integer of milliseconds within ±1 year, got "${flags.clockOffsetMs ?? ''}"`);
  }
  if (flags.clockOffsetFile !== undefined && flags.clockOffsetFile.trim() === '') problems.push('--clock-offset-file: a file path is required');

  const seeds: string[] = [];
  for (const part of (flags.seeds ?? '').split(',')) {
    if (part.trim() === '') continue;
    const seed = attempt(() => parseHostPort(part, '--seeds'));
    if (seed !== undefined && !seeds.includes(formatHostPort(seed))) seeds.push(formatHostPort(seed));
  }

  const d = DEFAULT_CLUSTER_PARAMS;
  const cluster: ClusterParams = {
    n: int('--n', flags.n, d.n, 1, 64),
    r: int('--r', flags.r, d.r, 1, 64),
    w: int('--w', flags.w, d.w, 1, 64),
    partitionCount: int('--partitions', flags.partitions, d.partitionCount, 1, 1 << 20),
  };
  // Only judge the combination once each number is readable; otherwise the user gets the same mistake twice.
  if (problems.every((p) => !/^--(n|r|w|partitions):/.test(p))) {
    attempt(() => validateClusterParams(cluster));
  }

  // Whole partitions are claimed in proportion to weight, so weights are small integers.
  const weight = int('--weight', flags.weight, NODE_DEFAULTS.weight, 1, weightMax);
  const requestTimeoutMs = int('--request-timeout-ms', flags.requestTimeoutMs, NODE_DEFAULTS.requestTimeoutMs, 1, requestTimeoutMsMax);
  const valueBytesMax = int('--value-bytes-max', flags.valueBytesMax, NODE_DEFAULTS.valueBytesMax, 1, valueBytesMaxLimit);
  const gossipIntervalMs = int('--gossip-interval-ms', flags.gossipIntervalMs, NODE_DEFAULTS.gossipIntervalMs, gossipIntervalMsMin, gossipIntervalMsMax);
  const handoffIntervalMs = int('--handoff-interval-ms', flags.handoffIntervalMs, NODE_DEFAULTS.handoffIntervalMs, 10, 600_000);
  const handoffBatchCountMax = int('--handoff-batch', flags.handoffBatch, NODE_DEFAULTS.handoffBatchCountMax, 1, 1000);
  const aeIntervalMs = int('--ae-interval-ms', flags.aeIntervalMs, NODE_DEFAULTS.aeIntervalMs, 10, 3_600_000);
  const tombstoneGraceMs = int('--tombstone-grace-ms', flags.tombstoneGraceMs, NODE_DEFAULTS.tombstoneGraceMs, 0, 30 * 86_400_000);
  // A prefix is compared with keys as UTF-8 bytes; an empty one would put every key under LWW by accident.
  const lwwPrefixes = [...new Set(flags.lwwPrefix ?? [])];
  const expiryPurgeIntervalMs = int('--expiry-purge-interval-ms', flags.expiryPurgeIntervalMs, NODE_DEFAULTS.expiryPurgeIntervalMs, 10, 86_400_000);
  const scrubIntervalHours = int('--scrub-interval-hours', flags.scrubIntervalHours, NODE_DEFAULTS.scrubIntervalHours, 0, 24 * 24); // a timer beyond 24.8 days would fire at once
  const scrubRecordsPerSec = int('--scrub-rate', flags.scrubRate, NODE_DEFAULTS.scrubRecordsPerSec, 0, 100_000_000);
  for (const p of lwwPrefixes) {
    if (p === '' || Buffer.byteLength(p, 'utf8') > 1024) problems.push(`--lww-prefix: expected 1-1024 bytes of UTF-8, got "${p.slice(0, 40)}"`);
  }
  const cacheMb = int('--cache-mb', flags.cacheMb, NODE_DEFAULTS.cacheMb, 1, 64 * 1024);
  const maxOpenFiles = int('--max-open-files', flags.maxOpenFiles, 1000, 16, 100_000);
  const tableReads = (flags.tableReads ?? NODE_DEFAULTS.tableReads) as TableReads;
  if (!TABLE_READS.includes(tableReads)) problems.push(`--table-reads: expected one of ${TABLE_READS.join(', ')}, got "${tableReads}"`);
  const writeBufferMb = int('--write-buffer-mb', flags.writeBufferMb, NODE_DEFAULTS.writeBufferMb, 1, 1024);
  const logLevel = flags.logLevel ?? NODE_DEFAULTS.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  const { security, limits } = parseSecurityFlags(flags, cwd, int, problems);
  if (http !== undefined && rpc !== undefined) {
    // A token file or secret file may be empty or unreadable; the node checks their contents again when it starts.
    problems.push(
      ...bindProblems({
        httpHost: http.host,
        rpcHost: rpc.host,
        hasAuthTokens: security.authTokens !== undefined || security.authTokenFile !== undefined,
        hasClusterSecret: security.clusterSecret !== undefined || security.clusterSecretFile !== undefined,
        insecure: security.insecure === true,
      }),
    );
  }

  if (problems.length > 0 || http === undefined || rpc === undefined) {
    throw new UsageError(problems.join('\n'));
  }
  return {
    id,
    httpHost: http.host,
    httpPort: http.port,
    rpcHost: rpc.host,
    rpcPort: rpc.port,
    ...(advertise !== undefined && { advertiseHttp: formatHostPort(advertise) }),
    ...(advertiseRpc !== undefined && { advertiseRpc: formatHostPort(advertiseRpc) }),
    ...(clockOffsetMs !== undefined && clockOffsetMs !== 0 && { clockOffsetMs }),
    ...(flags.clockOffsetFile !== undefined && { clockOffsetFile: resolve(cwd, flags.clockOffsetFile) }),
    dataDir: resolve(cwd, data),
    seeds,
    cluster,
    clusterName,
    weight,
    handoffIntervalMs,
    handoffBatchCountMax,
    aeIntervalMs,
    tombstoneGraceMs,
    ...(lwwPrefixes.length > 0 && { lwwPrefixes }),
    ...(flags.expiryPurgeIntervalMs !== undefined && { expiryPurgeIntervalMs }),
    ...(flags.scrubIntervalHours !== undefined && { scrubIntervalHours }),
    ...(flags.scrubRate !== undefined && { scrubRecordsPerSec }),
    requestTimeoutMs,
    valueBytesMax,
    syncWrites: flags.sync === true,
    // Only when given: the node applies NODE_DEFAULTS.cacheMb otherwise.
    ...(flags.cacheMb !== undefined && { cacheMb }),
    ...(flags.maxOpenFiles !== undefined && { maxOpenFiles }),
    ...(flags.tableReads !== undefined && { tableReads }),
    ...(flags.writeBufferMb !== undefined && { writeBufferMb }),
    logLevel,
    gossipIntervalMs,
    ...(Object.keys(security).length > 0 && { security }),
    ...(Object.keys(limits).length > 0 && { limits }),
  };
}
