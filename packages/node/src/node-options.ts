import type { ClusterParams } from '@ringkv/core';
import type { TableReads } from '@ringkv/storage';
import type { HttpLimits } from './http-limits.js';
import type { TlsFilePaths } from './tls-options.js';

/** Who may talk to the node (README "Security"). Secrets here are never logged. */
export interface NodeSecurity {
  /** bearer tokens clients must send (several: rotation) */
  readonly authTokens?: readonly string[];
  /** a file of more tokens, one per line; re-read on SIGHUP */
  readonly authTokenFile?: string;
  /** shared by every node; proven (HMAC) in each RPC handshake */
  readonly clusterSecret?: string;
  readonly clusterSecretFile?: string;
  /** HTTPS for clients and TLS on the RPC port */
  readonly tls?: TlsFilePaths;
  /** allow a non-loopback listener without auth token / cluster secret */
  readonly insecure?: boolean;
}

/** Bounds on client requests (README "Limits"); each defaults when absent. */
export interface NodeLimits extends Partial<HttpLimits> {
  /** longest key, ≤ 1024 bytes */
  readonly keyBytesMax?: number;
  /** longest X-Context header, ≤ 8192 characters */
  readonly contextBytesMax?: number;
  /** a write that would give a key more live siblings than this is refused (SIBLINGS_TOO_MANY) */
  readonly siblingsMax?: number;
  /** accepted RPC connections (also before the handshake) */
  readonly rpcConnectionsMax?: number;
  /** an RPC connection must complete TLS + handshake within this */
  readonly rpcHandshakeTimeoutMs?: number;
}

/** Everything one ringkv node process is started with (the `ringkv node` flags). */
export interface NodeOptions {
  /** stable node id, e.g. "n1" ([A-Za-z0-9_.-], ≤ 64 chars) */
  readonly id: string;
  /** HTTP listener for clients */
  readonly httpHost: string;
  readonly httpPort: number;
  /** TCP listener for inter-node RPC */
  readonly rpcHost: string;
  readonly rpcPort: number;
  /** "host:port" peers and clients are told for our HTTP API when it differs from the bind address (NAT, containers, 0.0.0.0) */
  readonly advertiseHttp?: string;
  /** "host:port" peers dial for our RPC when it differs from the bind address */
  readonly advertiseRpc?: string;
  /** TEST ONLY: shifts the node's application clock by this many ms (chaos clock skew) */
  readonly clockOffsetMs?: number;
  /** TEST ONLY: a file holding more clock offset in ms, re-read while running (clock jumps) */
  readonly clockOffsetFile?: string;
  /** this node's LevelDB directory (created if missing) */
  readonly dataDir: string;
  /** RPC addresses ("host:port") of nodes to contact at start */
  readonly seeds: readonly string[];
  /** N/R/W and Q; all nodes of a cluster must agree */
  readonly cluster: ClusterParams;
  /** cluster name; nodes of different clusters refuse each other's connections */
  readonly clusterName: string;
  /** capacity share (partitions owned are proportional) */
  readonly weight: number;
  /** how long a coordinator waits for R/W replies before answering 503 */
  readonly requestTimeoutMs: number;
  /** the largest value a client may PUT */
  readonly valueBytesMax: number;
  /** fsync every replica write (LevelDB sync) before acknowledging it */
  readonly syncWrites: boolean;
  /** LevelDB block cache in MiB (bounds the store's read cache; default NODE_DEFAULTS.cacheMb) */
  readonly cacheMb?: number;
  /** LevelDB table files kept open (LevelDB's default 1 000 when unset) */
  readonly maxOpenFiles?: number;
  /** how LevelDB reads table files: pread (default) or mmap (see storage's table-reads.ts) */
  readonly tableReads?: TableReads;
  /** LevelDB memtable size in MiB (default NODE_DEFAULTS.writeBufferMb) */
  readonly writeBufferMb?: number;
  /** pino level: fatal, error, warn, info, debug, trace, silent */
  readonly logLevel: string;
  /** milliseconds between membership gossip rounds (failure detection scales with it) */
  readonly gossipIntervalMs: number;
  /** milliseconds between hinted-handoff delivery rounds */
  readonly handoffIntervalMs: number;
  /** hinted records per batch to one primary per round (the delivery rate limit) */
  readonly handoffBatchCountMax: number;
  /** milliseconds between two anti-entropy exchanges (one partition, one fellow replica each) */
  readonly aeIntervalMs: number;
  /** how long a tombstone stays once every replica is known to hold it */
  readonly tombstoneGraceMs: number;
  /** key prefixes under the last-writer-wins conflict policy; must be the same on every node (default none) */
  readonly lwwPrefixes?: readonly string[];
  /** milliseconds between expiry purge rounds (default NODE_DEFAULTS.expiryPurgeIntervalMs) */
  readonly expiryPurgeIntervalMs?: number;
  /** hours between scrubs (every record's checksum checked); 0: only on request (default NODE_DEFAULTS.scrubIntervalHours) */
  readonly scrubIntervalHours?: number;
  /** records a scrub reads per second at most; 0: no limit (default NODE_DEFAULTS.scrubRecordsPerSec) */
  readonly scrubRecordsPerSec?: number;
  /** authentication, cluster secret, TLS; none by default (loopback only) */
  readonly security?: NodeSecurity;
  /** client request limits; defaults in NODE_LIMIT_DEFAULTS */
  readonly limits?: NodeLimits;
}

export const NODE_DEFAULTS = {
  httpHost: '127.0.0.1',
  httpPort: 7001,
  rpcHost: '127.0.0.1',
  rpcPort: 7101,
  seeds: [] as readonly string[],
  clusterName: 'ringkv',
  weight: 1,
  requestTimeoutMs: 2000,
  valueBytesMax: 1024 * 1024,
  syncWrites: false,
  // LevelDB's own default. (It was 32 MiB while tables were mapped, when the cache held only blocks
  // snappy had to inflate.) With pread every block read lands in this cache, but a miss costs a
  // pread from the page cache, not a disk read: at 1 M records workload C ran 9 610 and 10 245 ops/s
  // with 8 MiB against 9 679 and 8 955 with 32 MiB (one run each), and 8 MiB keeps 24 MiB out of RSS.
  cacheMb: 8,
  // Tables read with pread, not mapped: at 5 M keys a node's RSS was 211-236 MB against 553-850
  // mapped, and a cluster read cost 150 against 186 µs of CPU (a page fault on a mapped table costs
  // more than a pread from the page cache). Only where the tables fit in few pages does mmap win:
  // standalone classic-level, 1 M records, 4.4 against 7.0 µs per get.
  tableReads: 'pread' as TableReads,
  // LevelDB's own default is 4 MiB. A larger memtable flushes fewer, larger level-0 tables, so
  // compactions rewrite less: loading 1M records (scripts/bench, three pairs in both orders) went
  // from 3 823-4 061 to 4 360-5 101 records/s, 410-431 to 320-371 µs of CPU and 7.1 to 3.8-3.9
  // system calls per record; the cost is up to twice this in memory while a full one is flushed.
  writeBufferMb: 32,
  logLevel: 'info',
  gossipIntervalMs: 500,
  handoffIntervalMs: 500,
  handoffBatchCountMax: 200,
  aeIntervalMs: 1000,
  tombstoneGraceMs: 60_000,
  expiryPurgeIntervalMs: 1000,
  // Riak rebuilds its anti-entropy trees weekly for the same reason: damage to keys nobody reads.
  scrubIntervalHours: 168,
  // A full-speed scrub reads ≈ 160 k records/s and takes a core; 20 k/s is ≈ 4 min for 5 M records.
  scrubRecordsPerSec: 20_000,
} as const;

/** Defaults of NodeLimits not already in HTTP_LIMIT_DEFAULTS. */
export const NODE_LIMIT_DEFAULTS = {
  keyBytesMax: 1024,
  contextBytesMax: 8192,
  // Far above what a healthy workload shows (a few), low enough that a key read stays small.
  siblingsMax: 100,
  rpcConnectionsMax: 1024,
  rpcHandshakeTimeoutMs: 2000,
} as const;
