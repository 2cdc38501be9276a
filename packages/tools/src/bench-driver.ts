/**
 * What the load generator needs from a system under test: the three calls of
 * the YCSB workloads, on keys numbered 0, 1, 2, …. One implementation per
 * system (ringkv and the fastify ceiling over HTTP, Redis Cluster, etcd).
 */

/** A read found the key, found siblings (ringkv: HTTP 300), or found nothing. */
export type ReadStatus = 'found' | 'siblings' | 'missing';

/** A write went through, or (ringkv) first had to resolve the key's siblings: HTTP 409, then a read and a write with its context. */
export type WriteStatus = 'written' | 'siblings';

export interface KvDriver {
  read(key: number): Promise<ReadStatus>;
  write(key: number, value: Buffer): Promise<WriteStatus>;
  /** workload F: read the key, then write a new value as a client that saw the old one would */
  readModifyWrite(key: number, value: Buffer): Promise<ReadStatus>;
  close(): Promise<void>;
}

/** A request the system answered with a failure (an HTTP status, a Redis error reply). */
export class OpError extends Error {
  constructor(readonly kind: string) {
    super(kind);
    this.name = 'OpError';
  }
}

/** A short, stable label for counting failures by kind: "HTTP 503", "ECONNRESET", "CLUSTERDOWN". */
export function errorKind(err: unknown): string {
  if (err instanceof OpError) return err.kind;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  const message = err instanceof Error ? err.message : String(err);
  // Redis error replies start with their code ("MOVED 3999 …", "CLUSTERDOWN …"): the first word is the kind.
  return message.split(/[\s:]/, 1)[0]?.slice(0, 40) || 'error';
}
