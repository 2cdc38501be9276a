/**
 * `ringkv restore`: writes a backup file back into a cluster by merging.
 *
 * First the whole file is read and checked (magic, version, every record, the
 * entry count and the SHA-256), so a damaged file is refused before a single
 * key is written. Then it is read again and sent in bounded batches to the
 * cluster's up nodes in turn, a few batches at a time; each node merges every
 * record into its key's replicas (POST /admin/restore) and says which keys
 * reached W of them. Keys that did not are sent again, then reported. Merging
 * makes all of this safe to repeat: a restore never replaces a newer version
 * and never drops a concurrent one, and restoring twice changes nothing.
 */
import { stat } from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import { msgpackArrayHeader } from './backup-entry.js';
import { BackupFileReader, verifyBackupFile, type BackupHeader } from './backup-file.js';
import { backupAgent, send, type BackupCredentials } from './backup-http.js';
import { compactNodes, type CompactOutcome } from './compact-nodes.js';
import { fetchRing } from './backup-ring.js';
import { RingkvHttpError } from './http-error.js';

export interface RestoreOptions extends BackupCredentials {
  /** nodes to read the ring from; batches go to every up node of the ring */
  readonly nodes: readonly string[];
  readonly file: string;
  /** acknowledgements needed per key (default: the cluster's W) */
  readonly w?: number;
  /** at most this many entries per request (the node takes at most 1000) */
  readonly batchEntriesMax?: number;
  /** at most about this many bytes per request (one larger record goes alone) */
  readonly batchBytesMax?: number;
  /** requests in flight at once */
  readonly concurrency?: number;
  /** times a failed batch or key is sent again before it is reported */
  readonly retries?: number;
  readonly timeoutMs?: number;
  /**
   * After the writes, compact LevelDB on every up node (POST /admin/compact).
   * A bulk import leaves tables overlapping across levels, and until LevelDB
   * has compacted them its random reads cost several times more (each read
   * that looks into two tables counts toward a seek compaction). No time
   * limit: a node with gigabytes of tables answers when it is done.
   */
  readonly compact?: boolean;
  readonly onProgress?: (p: RestoreProgress) => void;
}

export interface RestoreProgress {
  readonly phase: 'verify' | 'write' | 'compact';
  readonly bytesRead: number;
  readonly fileBytes: number;
  /** entries the file holds (known after the verify phase) */
  readonly entriesTotal: number | undefined;
  readonly restored: number;
  readonly failed: number;
}

export interface RestoreSummary {
  readonly file: string;
  readonly header: BackupHeader;
  readonly sha256: string;
  readonly fileBytes: number;
  readonly entries: number;
  /** keys acknowledged by at least W replicas */
  readonly restored: number;
  readonly failed: number;
  /** the first failed keys (UTF-8) with why */
  readonly failures: readonly { readonly key: string; readonly error: string }[];
  readonly requests: number;
  readonly retried: number;
  readonly verifyMs: number;
  /** how long compacting every node took (set when `compact` was asked and ran) */
  readonly compactMs?: number;
  /** nodes whose compaction failed (the restored data is in place regardless) */
  readonly compactFailures?: readonly { readonly node: string; readonly error: string }[];
  readonly durationMs: number;
}

interface Pending {
  readonly key: Buffer;
  readonly bytes: Buffer;
}

/** The JSON answer of POST /admin/restore. */
interface BatchAnswer {
  readonly restored: number;
  readonly failed: readonly { readonly index: number; readonly error: string }[];
}

const failuresListedMax = 20;
const retryPauseMs = 250;

/** The node found the batch malformed: the file and the cluster disagree. Stop, do not retry. */
export class RestoreRejectedError extends Error {
  override readonly name = 'RestoreRejectedError';
}

export async function restoreCluster(opts: RestoreOptions): Promise<RestoreSummary> {
  const started = Date.now();
  const batchEntriesMax = Math.min(opts.batchEntriesMax ?? 500, 1000);
  const batchBytesMax = opts.batchBytesMax ?? 4 * 1024 * 1024;
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const retries = Math.max(0, opts.retries ?? 3);
  const fileBytes = (await stat(opts.file)).size;
  const progress = { restored: 0, failed: 0, entriesTotal: undefined as number | undefined };
  const report = (phase: RestoreProgress['phase'], bytesRead: number): void =>
    opts.onProgress?.({ phase, bytesRead, fileBytes, ...progress });

  const verified = await verifyBackupFile(opts.file, (b) => report('verify', b));
  progress.entriesTotal = verified.entries;
  const verifyMs = Date.now() - started;

  const agent = backupAgent(opts.timeoutMs ?? 60_000, concurrency, opts);
  const failures: { key: string; error: string }[] = [];
  const stats = { requests: 0, retried: 0 };
  let compacted: CompactOutcome | undefined;
  try {
    const ring = await fetchRing(opts.nodes, agent);
    const up = [...ring.nodes.values()].filter((m) => m.state === 'up').map((m) => m.url);
    const targets = up.length > 0 ? up : [...opts.nodes];
    let turn = 0;
    const query = opts.w === undefined ? '' : `?w=${opts.w}`;

    const fail = (batch: readonly Pending[], error: string): void => {
      progress.failed += batch.length;
      for (const e of batch) if (failures.length < failuresListedMax) failures.push({ key: e.key.toString('utf8'), error });
    };

    const sendBatch = async (batch: readonly Pending[], attempt: number): Promise<void> => {
      const node = targets[turn++ % targets.length] as string;
      stats.requests++;
      let answer: BatchAnswer;
      try {
        answer = await postBatch(agent, node, query, batch);
      } catch (err) {
        if (err instanceof RestoreRejectedError) throw err;
        if (attempt >= retries) return fail(batch, err instanceof Error ? err.message : String(err));
        stats.retried += batch.length;
        await pause(retryPauseMs * (attempt + 1));
        return sendBatch(batch, attempt + 1);
      }
      const failedIdx = new Map(answer.failed.map((f) => [f.index, f.error]));
      progress.restored += batch.length - failedIdx.size;
      if (failedIdx.size === 0) return;
      const again = batch.filter((_, i) => failedIdx.has(i));
      if (attempt >= retries) {
        progress.failed += again.length;
        batch.forEach((e, i) => {
          const why = failedIdx.get(i);
          if (why !== undefined && failures.length < failuresListedMax) failures.push({ key: e.key.toString('utf8'), error: why });
        });
        return;
      }
      stats.retried += again.length;
      await pause(retryPauseMs * (attempt + 1));
      return sendBatch(again, attempt + 1);
    };

    const inFlight = new Set<Promise<void>>();
    let fatal: unknown;
    const dispatch = async (batch: Pending[]): Promise<void> => {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (fatal !== undefined) throw fatal;
      const job: Promise<void> = sendBatch(batch, 0)
        .catch((err: unknown) => {
          fatal ??= err;
        })
        .finally(() => inFlight.delete(job));
      inFlight.add(job);
    };

    const reader = await BackupFileReader.open(opts.file);
    let batch: Pending[] = [];
    let batchBytes = 0;
    let lastReport = 0;
    // The second read checks the checksum again at its end: a file changed since the first read fails here.
    for await (const entry of reader.entries()) {
      if (batch.length > 0 && (batch.length >= batchEntriesMax || batchBytes + entry.bytes.length > batchBytesMax)) {
        await dispatch(batch);
        batch = [];
        batchBytes = 0;
      }
      batch.push({ key: entry.key, bytes: Buffer.from(entry.bytes) });
      batchBytes += entry.bytes.length;
      if (reader.position - lastReport >= 1024 * 1024) {
        lastReport = reader.position;
        report('write', lastReport);
      }
    }
    if (batch.length > 0) await dispatch(batch);
    while (inFlight.size > 0) await Promise.race(inFlight);
    if (fatal !== undefined) throw fatal;
    report('write', fileBytes);
    if (opts.compact === true) {
      report('compact', fileBytes);
      compacted = await compactNodes(targets, opts);
    }
  } finally {
    await agent.close();
  }
  return {
    file: opts.file,
    header: verified.header,
    sha256: verified.sha256,
    fileBytes,
    entries: verified.entries,
    restored: progress.restored,
    failed: progress.failed,
    failures,
    ...stats,
    verifyMs,
    ...compacted,
    durationMs: Date.now() - started,
  };
}

async function postBatch(agent: Dispatcher, node: string, query: string, batch: readonly Pending[]): Promise<BatchAnswer> {
  const body = Buffer.concat([msgpackArrayHeader(batch.length), ...batch.map((e) => e.bytes)]);
  let res: Dispatcher.ResponseData;
  try {
    res = await send(agent, node, `/admin/restore${query}`, { method: 'POST', body, contentType: 'application/x-msgpack' });
  } catch (err) {
    if (err instanceof RingkvHttpError && err.status >= 400 && err.status < 500) {
      throw new RestoreRejectedError(`${node} refused a batch: ${err.code}: ${err.message}`);
    }
    throw err;
  }
  const json = (await res.body.json()) as Partial<BatchAnswer> | null;
  if (typeof json?.restored !== 'number' || !Array.isArray(json.failed)) throw new Error(`${node}: unexpected answer to POST /admin/restore`);
  const failed = json.failed.filter((f): f is { index: number; error: string } => Number.isInteger(f?.index) && f.index >= 0 && f.index < batch.length);
  return { restored: json.restored, failed: failed.map((f) => ({ index: f.index, error: String(f.error) })) };
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
