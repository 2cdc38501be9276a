import type { ClusterParams } from '@ringkv/core';

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
  logLevel: 'info',
  gossipIntervalMs: 500,
  handoffIntervalMs: 500,
  handoffBatchCountMax: 200,
  aeIntervalMs: 1000,
  tombstoneGraceMs: 60_000,
} as const;
