import { Readable } from 'node:stream';
import { RingkvError, parseQuorumParam } from '@ringkv/core';
import type { FastifyInstance } from 'fastify';
import { backupStreamContentType, partitionStreamChunks } from './backup-stream.js';
import { decodeHint } from './hint-record.js';
import { parseRestoreBatch, restoreBodyBytesMax } from './restore-batch.js';
import { replicateRestoreBatch } from './restore-replicate.js';
import type { RingkvNode } from './ringkv-node.js';

/**
 * Backup and restore (`ringkv backup` / `ringkv restore`).
 *
 * A backup reads each partition from its replicas one by one and merges per
 * key on the client: every node only streams what it holds (a local range
 * scan, no quorum machinery, no new inter-node operation), and the client,
 * which asks several replicas, gets a copy that is complete even when one
 * replica is stale. Writes a fallback still holds only as a hint (its primary
 * was down, and has not had it yet) come from `?hints=1` streams of the nodes
 * that `GET /admin/backup/hints` lists. A restore goes through any node, which
 * merges each record into the key's replicas like replication does.
 */
export function registerBackupRoutes(app: FastifyInstance, node: RingkvNode): void {
  app.get('/admin/backup/hints', async () => {
    const partitions: number[] = [];
    for (let p = 0; p < node.view.params.partitionCount; p++) if (await node.replica.store.hasHints(p)) partitions.push(p);
    return { partitions };
  });

  app.get('/admin/backup/partition/:p', async (request, reply) => {
    const raw = (request.params as { p?: string }).p ?? '';
    const p = /^[0-9]{1,5}$/.test(raw) ? Number(raw) : NaN;
    const { partitionCount } = node.view.params;
    if (!(p >= 0 && p < partitionCount)) {
      throw new RingkvError('BAD_REQUEST', `partition must be an integer in 0..${partitionCount - 1}; got "${raw.slice(0, 20)}"`);
    }
    const hints = (request.query as Record<string, string | undefined>).hints;
    if (hints !== undefined && hints !== '1') throw new RingkvError('BAD_REQUEST', `hints must be 1 or absent; got "${hints.slice(0, 20)}"`);
    if (hints === '1') {
      // The hinted copies this node keeps for the partition's primaries: whole records, merged like a replica's.
      return reply
        .header('content-type', backupStreamContentType)
        .send(Readable.from(partitionStreamChunks(node.replica.store.scanPartitionHints(p), (b) => decodeHint(b).record), { objectMode: false }));
    }
    if (node.recovery.active) {
      // Its copy is known to be incomplete: a backup counting it as a replica would be too.
      throw new RingkvError('UNAVAILABLE', 'this node lost its data and is resynchronising; back up from its fellow replicas');
    }
    return reply
      .header('content-type', backupStreamContentType)
      .header('x-ringkv-replica', String(node.view.preferenceList(p).includes(node.view.self.id)))
      .send(Readable.from(partitionStreamChunks(node.replica.store.scanPartition(p)), { objectMode: false }));
  });

  app.post('/admin/restore', { bodyLimit: restoreBodyBytesMax }, async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const { n, w: defaultW } = node.view.params;
    const w = parseQuorumParam('w', q.w, n, defaultW);
    const entries = parseRestoreBatch(request.body);
    return replicateRestoreBatch(node, entries, w);
  });
}
