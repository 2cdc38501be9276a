import { RingkvError } from '@ringkv/core';
import type { FastifyInstance } from 'fastify';
import { ClusterAdmin, type StagedOp } from './cluster-admin.js';
import type { RingkvNode } from './ringkv-node.js';

/** /admin/cluster/*: stage join/leave/remove, see the plan, commit it, follow the transfers. */
export function registerClusterAdminRoutes(app: FastifyInstance, node: RingkvNode): void {
  const admin = new ClusterAdmin(node);
  const nodeParam = (q: unknown): string => {
    const id = (q as Record<string, string | undefined>).node;
    if (id === undefined || !/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new RingkvError('BAD_REQUEST', 'give the node id as ?node=ID');
    return id;
  };
  for (const op of ['join', 'leave', 'remove'] as const satisfies readonly StagedOp[]) {
    app.post(`/admin/cluster/${op}`, async (request) => ({ staged: admin.stage(op, nodeParam(request.query)) }));
  }
  app.get('/admin/cluster/plan', async () => admin.plan());
  app.post('/admin/cluster/commit', async () => admin.commit());
  app.post('/admin/cluster/clear', async () => {
    admin.clear();
    return { staged: admin.staged() };
  });
  app.get('/admin/cluster/status', async () => admin.status());
}
