/**
 * `ringkv backup`: copies every key of a running cluster, with its whole
 * sibling set and causal history, into one backup file.
 *
 * Each partition is read from its replicas at once (each streams its local
 * copy in key order) and merged per key with the replica merge. Reading at
 * least N−W+1 replicas of every partition meets every write quorum, so every
 * acknowledged (non-sloppy) write is in the backup even when a replica is
 * stale; reading all of them costs little more, so all up replicas are asked.
 * Memory is bounded by one record per replica stream plus a write chunk.
 */
import { mergeRecords, type KvRecord } from '@ringkv/core';
import type { Dispatcher } from 'undici';
import type { BackupEntry } from './backup-entry.js';
import { BackupFileWriter, type BackupFileSummary, type BackupHeader } from './backup-file.js';
import { backupAgent, send } from './backup-http.js';
import { readPartitionStream } from './backup-partition-stream.js';
import { fetchRing, type BackupRing } from './backup-ring.js';

export interface BackupOptions {
  /** nodes to read the ring from (any one that answers) */
  readonly nodes: readonly string[];
  readonly out: string;
  /** replicas of each partition that must stream it completely (default N−W+1) */
  readonly minReplicas?: number;
  /** per request: connect, first byte, gap between body chunks (default 30 s) */
  readonly timeoutMs?: number;
  /**
   * Partitions whose replica streams are open at once (default 4): the next
   * ones are requested while the current one is merged, hiding each request's
   * latency. The file is still written in partition order; an opened stream
   * that is not read yet is held back by TCP flow control, not buffered.
   */
  readonly partitionsAhead?: number;
  readonly tool?: string;
  readonly onProgress?: (p: BackupProgress) => void;
}

export interface BackupProgress {
  readonly partitionsDone: number;
  readonly partitionCount: number;
  readonly keys: number;
  readonly bytes: number;
}

export interface BackupSummary extends BackupFileSummary {
  readonly file: string;
  readonly keys: number;
  /** keys whose siblings are all tombstones (deleted, kept so the delete is restored too) */
  readonly deletedKeys: number;
  /** keys with more than one live value */
  readonly keysWithSiblings: number;
  readonly partitions: number;
  readonly minReplicas: number;
  /** replica streams read to their end */
  readonly replicaReads: number;
  /** replica streams that failed; each partition still had minReplicas complete ones */
  readonly replicaReadsFailed: readonly string[];
  readonly ringEpoch: number;
  readonly durationMs: number;
}

interface OpenedPartition {
  readonly p: number;
  readonly replicas: readonly string[];
  readonly cursors: readonly Cursor[];
  readonly failures: string[];
}

interface Cursor {
  readonly node: string;
  readonly stream: AsyncGenerator<BackupEntry>;
  head: BackupEntry | undefined;
  failed: string | undefined;
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function backupCluster(opts: BackupOptions): Promise<BackupSummary> {
  const started = Date.now();
  const ahead = Math.max(1, opts.partitionsAhead ?? 4);
  const agent = backupAgent(opts.timeoutMs ?? 30_000, ahead + 1);
  let writer: BackupFileWriter | undefined;
  const opened: Promise<OpenedPartition>[] = [];
  try {
    const ring = await fetchRing(opts.nodes, agent);
    if (ring.transferring.length > 0) {
      throw new Error(
        `a ring change is under way (${ring.transferring.length} partitions moving): their data is split between old and new replicas; back up after it completed`,
      );
    }
    const minReplicas = opts.minReplicas ?? Math.max(1, ring.n - ring.w + 1);
    if (!Number.isInteger(minReplicas) || minReplicas < 1 || minReplicas > ring.n) throw new RangeError(`minReplicas must be 1..N=${ring.n}`);
    const header: BackupHeader = {
      createdAt: new Date(started).toISOString(),
      cluster: { partitionCount: ring.partitionCount, n: ring.n, r: ring.r, w: ring.w, epoch: ring.epoch },
      nodes: [...ring.nodes.keys()],
      tool: opts.tool ?? 'ringkv',
    };
    writer = await BackupFileWriter.create(opts.out, header);
    const counts = { keys: 0, deletedKeys: 0, keysWithSiblings: 0, replicaReads: 0 };
    const failed: string[] = [];
    for (let p = 0; p < Math.min(ahead, ring.partitionCount); p++) opened.push(openPartition(agent, ring, p));
    for (let p = 0; p < ring.partitionCount; p++) {
      const next = p + ahead;
      if (next < ring.partitionCount) opened.push(openPartition(agent, ring, next));
      const result = await drainPartition(await (opened[p] as Promise<OpenedPartition>), minReplicas, writer, counts);
      counts.replicaReads += result.complete;
      failed.push(...result.failures);
      opts.onProgress?.({ partitionsDone: p + 1, partitionCount: ring.partitionCount, keys: counts.keys, bytes: writer.bytes });
    }
    const file = await writer.finish();
    writer = undefined;
    return {
      file: opts.out,
      ...file,
      ...counts,
      partitions: ring.partitionCount,
      minReplicas,
      replicaReadsFailed: failed,
      ringEpoch: ring.epoch,
      durationMs: Date.now() - started,
    };
  } finally {
    await writer?.abort();
    // streams opened ahead of a failure: close them (closing a drained one does nothing)
    await Promise.all(opened.map(async (o) => Promise.all((await o).cursors.map((c) => c.stream.return(undefined)))));
    await agent.close();
  }
}

/** Requests the partition from each of its replicas that is not known dead; never throws (a failed replica is noted). */
async function openPartition(agent: Dispatcher, ring: BackupRing, p: number): Promise<OpenedPartition> {
  const replicas = (ring.partitions[p] ?? []).filter((id) => ring.nodes.get(id)?.state !== 'dead');
  const failures: string[] = [];
  const opened = await Promise.all(
    replicas.map(async (id): Promise<Cursor | undefined> => {
      const url = ring.nodes.get(id)?.url ?? '';
      const where = `partition ${p} from ${id}`;
      try {
        const res = await send(agent, url, `/admin/backup/partition/${p}`);
        const cursor: Cursor = { node: id, stream: readPartitionStream(res.body, where), head: undefined, failed: undefined };
        await advance(cursor);
        return cursor;
      } catch (err) {
        failures.push(`${where}: ${describe(err)}`);
        return undefined;
      }
    }),
  );
  return { p, replicas, cursors: opened.filter((c): c is Cursor => c !== undefined), failures };
}

/** Merges the replica streams key by key into the file; fails when fewer than minReplicas streamed the partition completely. */
async function drainPartition(
  { p, replicas, cursors, failures }: OpenedPartition,
  minReplicas: number,
  writer: BackupFileWriter,
  counts: { keys: number; deletedKeys: number; keysWithSiblings: number },
): Promise<{ complete: number; failures: string[] }> {
  try {
    for (;;) {
      let least: Buffer | undefined;
      for (const c of cursors) if (c.head !== undefined && (least === undefined || Buffer.compare(c.head.key, least) < 0)) least = c.head.key;
      if (least === undefined) break;
      let merged: KvRecord | undefined;
      const moved: Promise<void>[] = [];
      for (const c of cursors) {
        if (c.head === undefined || !c.head.key.equals(least)) continue;
        merged = merged === undefined ? c.head.record : mergeRecords(merged, c.head.record);
        moved.push(advance(c));
      }
      await Promise.all(moved);
      if (merged === undefined) continue;
      await writer.add(least, merged);
      counts.keys++;
      const live = merged.siblings.filter((s) => s.value !== null).length;
      if (live === 0) counts.deletedKeys++;
      if (live > 1) counts.keysWithSiblings++;
    }
  } finally {
    await Promise.all(cursors.map((c) => c.stream.return(undefined)));
  }
  for (const c of cursors) if (c.failed !== undefined) failures.push(c.failed);
  const complete = cursors.filter((c) => c.failed === undefined).length;
  if (complete < minReplicas) {
    throw new Error(
      `partition ${p}: ${complete} of ${replicas.length} replicas streamed it completely, ${minReplicas} needed ` +
        `(lower --min-replicas to accept less): ${failures.join('; ') || 'no replica is up'}`,
    );
  }
  return { complete, failures };
}

/** Moves a cursor to its next record; a failing replica stops counting but what it sent so far stays merged (a merge never hurts). */
async function advance(c: Cursor): Promise<void> {
  try {
    const r = await c.stream.next();
    c.head = r.done === true ? undefined : r.value;
  } catch (err) {
    c.head = undefined;
    c.failed = describe(err);
  }
}
