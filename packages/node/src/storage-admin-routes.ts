import type { FastifyInstance } from 'fastify';
import type { RingkvNode } from './ringkv-node.js';

/**
 * /admin/expiry/purge, /admin/compact and /admin/scrub: run now what otherwise
 * runs on its own schedule — an expiry purge round, a full LevelDB compaction
 * (LevelDB reclaims the space of deleted entries only as its compactions
 * reach them), a scrub (every stored record's checksum checked; corrupt ones
 * are repaired from the other replicas in the background).
 */
export function registerStorageAdminRoutes(app: FastifyInstance, node: RingkvNode): void {
  app.post('/admin/expiry/purge', async () => {
    const recordsPurged = await node.expiryPurge.round();
    return { recordsPurged, stats: { ...node.expiryPurge.stats } };
  });
  app.post('/admin/scrub', async () => {
    const outcome = await node.scrub();
    return { ...outcome, stats: { ...node.corruptRecords.stats, actorsRenewed: node.replica.stats.actorsRenewed } };
  });
  app.post('/admin/compact', async () => {
    const started = Date.now();
    const compacted = await node.deps.store.compact();
    return { compacted, ms: Date.now() - started };
  });
}
