/**
 * The YCSB core workloads (Cooper et al., SoCC 2010) the benchmark runs, plus
 * a write-only one. Pure data and the two pure choices a client makes per
 * request: which operation, and (bench-keys.ts) which key.
 */

export type OpKind = 'READ' | 'UPDATE' | 'INSERT' | 'RMW';
export const OP_KINDS: readonly OpKind[] = ['READ', 'UPDATE', 'INSERT', 'RMW'];

export type WorkloadName = 'A' | 'B' | 'C' | 'D' | 'F' | 'PUT';

export interface Workload {
  readonly name: WorkloadName;
  readonly title: string;
  /** proportions of each operation, summing to 1 */
  readonly mix: Readonly<Record<OpKind, number>>;
  /** D reads the newest keys most; the others follow --distribution */
  readonly keys: 'requested' | 'latest';
}

const mix = (m: Partial<Record<OpKind, number>>): Record<OpKind, number> => ({ READ: 0, UPDATE: 0, INSERT: 0, RMW: 0, ...m });

export const WORKLOADS: Readonly<Record<WorkloadName, Workload>> = {
  A: { name: 'A', title: 'update heavy: 50% read, 50% update', mix: mix({ READ: 0.5, UPDATE: 0.5 }), keys: 'requested' },
  B: { name: 'B', title: 'read mostly: 95% read, 5% update', mix: mix({ READ: 0.95, UPDATE: 0.05 }), keys: 'requested' },
  C: { name: 'C', title: 'read only: 100% read', mix: mix({ READ: 1 }), keys: 'requested' },
  D: { name: 'D', title: 'read latest: 95% read of recent keys, 5% insert', mix: mix({ READ: 0.95, INSERT: 0.05 }), keys: 'latest' },
  F: { name: 'F', title: 'read-modify-write: 50% read, 50% read then write back', mix: mix({ READ: 0.5, RMW: 0.5 }), keys: 'requested' },
  PUT: { name: 'PUT', title: 'write only: 100% update of loaded keys', mix: mix({ UPDATE: 1 }), keys: 'requested' },
};

export const DEFAULT_WORKLOADS: readonly WorkloadName[] = ['C', 'A', 'PUT'];

/** Parses "A,c, put" into workload names (in the order given, without repeats); throws with the allowed names. */
export function parseWorkloads(text: string): WorkloadName[] {
  const names: WorkloadName[] = [];
  for (const part of text.split(',')) {
    const name = part.trim().toUpperCase();
    if (name === '') continue;
    if (!Object.hasOwn(WORKLOADS, name)) {
      throw new Error(`unknown workload "${part.trim()}" (expected ${Object.keys(WORKLOADS).join(', ')})`);
    }
    if (!names.includes(name as WorkloadName)) names.push(name as WorkloadName);
  }
  if (names.length === 0) throw new Error('no workload given');
  return names;
}

/** The operation for a uniform draw `u` in [0, 1): the mix's proportions laid end to end. */
export function chooseOp(workload: Workload, u: number): OpKind {
  let edge = 0;
  let last: OpKind = 'READ';
  for (const kind of OP_KINDS) {
    const p = workload.mix[kind];
    if (p <= 0) continue;
    edge += p;
    last = kind;
    if (u < edge) return kind;
  }
  // u close to 1 with proportions that sum to 1 − ε.
  return last;
}
