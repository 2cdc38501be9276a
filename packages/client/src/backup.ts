/**
 * `ringkv backup`: copies every key of a running cluster, with its whole
 * sibling set and causal history, into one backup file.
 *
 * Each partition is read from its replicas at once (each streams its local
 * copy in key order) and merged per key with the replica merge. Reading at
 * least N−W+1 replicas of every partition meets every write quorum, so every
 * acknowledged (non-sloppy) write is in the backup even when a replica is
 * stale; reading all of them costs little more, so all up replicas are asked.
 * Writes acknowledged partly by fallbacks may sit only in a fallback's hinted
 * copy until their primary takes them: the nodes listing hints for a partition
 * stream those too, merged in like a replica (and not counted as one).
 * Memory is bounded by one record per stream plus a write chunk.
 */
import { mergeRecords, type KvRecord } from '@ringkv/core';
import type { Dispatcher } from 'undici';
import type { BackupEntry } from './backup-entry.js';
import { BackupFileWriter, type BackupFileSummary, type BackupHeader } from './backup-file.js';
import { backupAgent, fetchJson, send, type BackupCredentials } from './backup-http.js';
import { readPartitionStream } from './backup-partition-stream.js';
import { fetchRing, type BackupRing } from './backup-ring.js';

export interface BackupOptions extends BackupCredentials {
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
  /** streams of hinted copies read to their end (from fallbacks holding writes their primary has not had yet) */
  readonly hintReads: number;
  /** hint listings or streams that failed: writes held only there may be missing */
  readonly hintReadsFailed: readonly string[];
  readonly ringEpoch: number;
  readonly durationMs: number;
}

interface OpenedPartition {
  readonly p: number;
  readonly replicas: readonly string[];
  readonly cursors: readonly Cursor[];
  /** replica streams that failed */
  readonly failures: string[];
  /** hint streams that failed */
  readonly hintFailures: string[];
}

interface Cursor {
  readonly node: string;
  /** a fallback's hinted copies: merged like a replica's, not counted as one */
  readonly hints: boolean;
  readonly stream: AsyncGenerator<BackupEntry>;
  head: BackupEntry | undefined;
  failed: string | undefined;
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function backupCluster(opts: BackupOptions): Promise<BackupSummary> {
  const started = Date.now();
  const ahead = Math.max(1, opts.partitionsAhead ?? 4);
  const agent = backupAgent(opts.timeoutMs ?? 30_000, ahead + 1, opts);
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
    const hinted = await listHints(agent, ring);
    writer = await BackupFileWriter.create(opts.out, header);
    const counts = { keys: 0, deletedKeys: 0, keysWithSiblings: 0, replicaReads: 0, hintReads: 0 };
    const failed: string[] = [];
    const hintFailed = [...hinted.failures];
    const open = (p: number): Promise<OpenedPartition> => openPartition(agent, ring, p, hinted.holders.get(p) ?? []);
    for (let p = 0; p < Math.min(ahead, ring.partitionCount); p++) opened.push(open(p));
    for (let p = 0; p < ring.partitionCount; p++) {
      const next = p + ahead;
      if (next < ring.partitionCount) opened.push(open(next));
      const result = await drainPartition(await (opened[p] as Promise<OpenedPartition>), minReplicas, writer, counts);
      counts.replicaReads += result.complete;
      counts.hintReads += result.hintsComplete;
      failed.push(...result.failures);
      hintFailed.push(...result.hintFailures);
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
      hintReadsFailed: hintFailed,
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

/**
 * Which nodes keep hinted copies of which partitions (`GET /admin/backup/hints`
 * of every node not known dead). Hints written after this listing are not
 * looked for: like other writes during a backup, they may or may not be in it.
 */
async function listHints(agent: Dispatcher, ring: BackupRing): Promise<{ holders: Map<number, string[]>; failures: string[] }> {
  const holders = new Map<number, string[]>();
  const failures: string[] = [];
  await Promise.all(
    [...ring.nodes].map(async ([id, node]) => {
      if (node.state === 'dead') return;
      try {
        const body = (await fetchJson(agent, node.url, '/admin/backup/hints')) as { partitions?: unknown };
        if (!Array.isArray(body.partitions)) throw new Error('the answer has no partitions list');
        for (const p of body.partitions) if (typeof p === 'number') holders.set(p, [...(holders.get(p) ?? []), id]);
      } catch (err) {
        failures.push(`hints of ${id}: ${describe(err)}`);
      }
    }),
  );
  return { holders, failures };
}

/**
 * Requests the partition from each of its replicas that is not known dead, and
 * the hinted copies from `hintHolders`; never throws (a failed stream is noted).
 */
async function openPartition(agent: Dispatcher, ring: BackupRing, p: number, hintHolders: readonly string[]): Promise<OpenedPartition> {
  const replicas = (ring.partitions[p] ?? []).filter((id) => ring.nodes.get(id)?.state !== 'dead');
  const failures: string[] = [];
  const hintFailures: string[] = [];
  const sources = [...replicas.map((id) => ({ id, hints: false })), ...hintHolders.map((id) => ({ id, hints: true }))];
  const opened = await Promise.all(
    sources.map(async ({ id, hints }): Promise<Cursor | undefined> => {
      const url = ring.nodes.get(id)?.url ?? '';
      const where = `partition ${p} ${hints ? 'hints ' : ''}from ${id}`;
      try {
        const res = await send(agent, url, `/admin/backup/partition/${p}${hints ? '?hints=1' : ''}`);
        const cursor: Cursor = { node: id, hints, stream: readPartitionStream(res.body, where), head: undefined, failed: undefined };
        await advance(cursor);
        return cursor;
      } catch (err) {
        (hints ? hintFailures : failures).push(`${where}: ${describe(err)}`);
        return undefined;
      }
    }),
  );
  return { p, replicas, cursors: opened.filter((c): c is Cursor => c !== undefined), failures, hintFailures };
}

/** Merges the replica streams key by key into the file; fails when fewer than minReplicas streamed the partition completely. */
async function drainPartition(
  { p, replicas, cursors, failures, hintFailures }: OpenedPartition,
  minReplicas: number,
  writer: BackupFileWriter,
  counts: { keys: number; deletedKeys: number; keysWithSiblings: number },
): Promise<{ complete: number; failures: string[]; hintsComplete: number; hintFailures: string[] }> {
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
  for (const c of cursors) if (c.failed !== undefined) (c.hints ? hintFailures : failures).push(c.failed);
  const complete = cursors.filter((c) => !c.hints && c.failed === undefined).length;
  const hintsComplete = cursors.filter((c) => c.hints && c.failed === undefined).length;
  if (complete < minReplicas) {
    throw new Error(
      `partition ${p}: ${complete} of ${replicas.length} replicas streamed it completely, ${minReplicas} needed ` +
        `(lower --min-replicas to accept less): ${failures.join('; ') || 'no replica is up'}`,
    );
  }
  return { complete, failures, hintsComplete, hintFailures };
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
