import { RingkvError } from '@ringkv/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConsoleAssets } from './console-assets.js';
import { buildClusterDocument } from './console-cluster.js';
import { ConsoleNodeSampler } from './console-node-sample.js';
import { sendError } from './http-errors.js';
import type { NodeMetrics } from './metrics.js';
import type { RingkvNode } from './ringkv-node.js';

/**
 * The console's scripts are files of this origin only: no inline script or
 * style can run even if some data slipped into the page unescaped, and the
 * page can only talk to the node that served it.
 */
const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The web console: GET /ui (the page), GET /ui/<file> (its allow-listed static
 * files, see console-assets.ts) and two JSON endpoints it polls:
 * GET /ui/api/node (this node's figures) and GET /ui/api/cluster (every
 * member's, fetched by this node).
 */
export function registerConsoleRoutes(app: FastifyInstance, node: RingkvNode, metrics: NodeMetrics): void {
  const sampler = new ConsoleNodeSampler(node, metrics);
  registerConsoleAssetRoutes(app, new ConsoleAssets());
  app.get('/ui/api/node', async (_request, reply) => reply.header('cache-control', 'no-store').send(await sampler.sample()));
  app.get('/ui/api/cluster', async (request, reply) => {
    const fanOut = { scheme: request.protocol === 'https' ? 'https' : 'http', authorization: request.headers.authorization } as const;
    return reply.header('cache-control', 'no-store').send(await buildClusterDocument(node, sampler, fanOut));
  });
}

/** The page and its static files; apart from the node so that it can be tested without one. */
export function registerConsoleAssetRoutes(app: FastifyInstance, assets: ConsoleAssets): void {
  const serve = async (name: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const pending = assets.get(name);
    if (pending === undefined) return sendError(reply, new RingkvError('ROUTE_NOT_FOUND', `no console file ${JSON.stringify(name.slice(0, 100))}`));
    const asset = await pending;
    reply
      .header('content-type', asset.contentType)
      .header('etag', asset.etag)
      // Revalidate every time (a 304 costs nothing) so an upgraded node never serves stale scripts.
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff');
    if (asset.contentType.startsWith('text/html')) reply.header('content-security-policy', contentSecurityPolicy);
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.code(200).send(asset.body);
  };

  // The page uses absolute /ui/… URLs, so /ui and /ui/ both work.
  app.get('/ui', (request, reply) => serve('index.html', request, reply));
  app.get('/ui/', (request, reply) => serve('index.html', request, reply));
  // One segment only: fastify's :param never spans a '/', and the name is looked up in the allow-list, never joined to a path.
  app.get('/ui/:file', (request, reply) => serve((request.params as { file: string }).file, request, reply));
}
