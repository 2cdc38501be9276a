import { readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { NodeSpec } from './node-process.js';

/** One node as `scripts/cluster up` started it: enough to find, signal and restart it later. */
export interface RecordedNode extends NodeSpec {
  /** null once `down` or `kill` ended it */
  readonly pid: number | null;
}

/** `<data>/cluster.json`: what a later `down`, `status`, `kill` or `start` works from. */
export interface ClusterRecord {
  readonly version: 1;
  readonly startedAt: string;
  /** false when a foreground `up` supervises the nodes (its pid is `supervisorPid`) */
  readonly detached: boolean;
  readonly supervisorPid: number | null;
  /** the `up` flags */
  readonly params: { readonly nodes: number; readonly basePort: number; readonly n: number; readonly r: number; readonly w: number };
  readonly nodes: readonly RecordedNode[];
}

export function recordPath(dataDir: string): string {
  return join(resolve(dataDir), 'cluster.json');
}

/** The record of the cluster started in `dataDir`, or undefined if none was ever started there. */
export async function readClusterRecord(dataDir: string): Promise<ClusterRecord | undefined> {
  let text: string;
  try {
    text = await readFile(recordPath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed: unknown = JSON.parse(text);
  if (!isClusterRecord(parsed)) throw new Error(`${recordPath(dataDir)} is not a cluster record this script wrote`);
  return parsed;
}

/** Written to a temporary file and renamed, so a reader never sees half a record. */
export async function writeClusterRecord(dataDir: string, record: ClusterRecord): Promise<void> {
  const path = recordPath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(tmp, path);
}

export function withNodePid(record: ClusterRecord, id: string, pid: number | null): ClusterRecord {
  return { ...record, nodes: record.nodes.map((n) => (n.id === id ? { ...n, pid } : n)) };
}

/** `n2` or `2` → the recorded node, or an error listing the ones there are. */
export function findRecordedNode(record: ClusterRecord, ref: string): RecordedNode {
  const id = /^[0-9]+$/.test(ref) ? `n${Number(ref)}` : ref;
  const node = record.nodes.find((n) => n.id === id);
  if (node === undefined) throw new Error(`no node "${ref}" in this cluster (nodes: ${record.nodes.map((n) => n.id).join(', ')})`);
  return node;
}

/** Command-line words that only this node's process has: checked before signalling a recorded pid. */
export function processMarkers(node: RecordedNode): string[] {
  return ['--id', node.id, '--data', node.dataDir];
}

function isClusterRecord(v: unknown): v is ClusterRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<Record<keyof ClusterRecord, unknown>>;
  return r.version === 1 && Array.isArray(r.nodes) && typeof r.params === 'object' && r.params !== null;
}
