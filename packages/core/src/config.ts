import { RingkvError } from './errors.js';

/** Cluster-wide replication parameters, fixed at start. */
export interface ClusterParams {
  /** replicas per key */
  readonly n: number;
  /** default read quorum */
  readonly r: number;
  /** default write quorum */
  readonly w: number;
  /** Q: number of partitions of the ring, a power of two, fixed for the cluster's life */
  readonly partitionCount: number;
}

export const DEFAULT_CLUSTER_PARAMS: ClusterParams = { n: 3, r: 2, w: 2, partitionCount: 256 };

export const partitionCountMax = 65536;

/** Throws a readable Error when the parameters cannot work together. */
export function validateClusterParams(p: ClusterParams): ClusterParams {
  const problems: string[] = [];
  const int = (name: string, v: number, lo: number, hi: number): void => {
    if (!Number.isInteger(v) || v < lo || v > hi) problems.push(`${name} must be an integer in ${lo}..${hi} (got ${v})`);
  };
  int('n', p.n, 1, 16);
  int('r', p.r, 1, p.n);
  int('w', p.w, 1, p.n);
  int('partitions', p.partitionCount, 1, partitionCountMax);
  if (Number.isInteger(p.partitionCount) && (p.partitionCount & (p.partitionCount - 1)) !== 0) {
    problems.push(`partitions must be a power of two (got ${p.partitionCount})`);
  }
  if (problems.length > 0) throw new Error(`invalid cluster parameters: ${problems.join('; ')}`);
  return p;
}

/**
 * Parses a per-request quorum override (`?r=`, `?w=`): undefined keeps the
 * default; anything but an integer in 1..n is a client error.
 */
export function parseQuorumParam(name: string, raw: unknown, n: number, fallback: number, min = 1): number {
  if (raw === undefined || raw === '') return fallback;
  const text = typeof raw === 'string' ? raw : String(raw);
  const v = /^[0-9]{1,3}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(v) || v < min || v > n) {
    throw new RingkvError('QUORUM_PARAM_INVALID', `${name} must be an integer between ${min} and N=${n} (got "${text.slice(0, 20)}")`);
  }
  return v;
}
