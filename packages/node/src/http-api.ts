import {
  ContextFormatError,
  RingkvError,
  decodeContext,
  encodeContext,
  encodeKey,
  isDeleted,
  liveSiblings,
  parseQuorumParam,
  readContext,
  type KvRecord,
} from '@ringkv/core';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import type { ExchangeOutcome } from './anti-entropy.js';
import { notFoundOrMethod, sendError, toRingkvError } from './http-errors.js';
import type { RingkvNode } from './ringkv-node.js';
import { buildStatus } from './status.js';
import { registerClusterAdminRoutes } from './cluster-admin-routes.js';
import { NodeMetrics } from './metrics.js';

export interface HttpApiOptions {
  readonly valueBytesMax: number;
  readonly logger: PinoLogger;
  /** the node's LevelDB directory, for the store-size metric */
  readonly dataDir?: string;
}

const defaultContentType = 'application/octet-stream';
const contentTypeCharsMax = 256;

/** The public HTTP contract of every node (see the README's API section). */
export function buildHttpApi(node: RingkvNode, options: HttpApiOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    // One log line per request would cost more than the request on the hot path.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.valueBytesMax,
    // Fastify answers a URL it cannot percent-decode itself, before any route or
    // error handler runs, in its own error shape; route it to ours.
    frameworkErrors: (err, request, reply) => {
      if (err.code === 'FST_ERR_BAD_URL') {
        const onKv = (request.raw.url ?? '').startsWith('/kv/');
        return sendError(
          reply,
          onKv
            ? new RingkvError('KEY_INVALID', 'the key is not valid percent-encoded UTF-8')
            : new RingkvError('BAD_REQUEST', 'the URL is not valid percent-encoded UTF-8'),
        );
      }
      return sendError(reply, toRingkvError(err, options.valueBytesMax));
    },
  });

  // Values are opaque bytes of any content type: take every body as a Buffer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, _request, reply) => {
    const e = toRingkvError(err, options.valueBytesMax);
    if (e.code === 'INTERNAL') options.logger.error({ err }, 'request failed');
    return sendError(reply, e);
  });
  app.setNotFoundHandler(notFoundOrMethod);

  app.get('/health', async () => ({ status: 'ok', id: node.view.self.id }));
  const metrics = new NodeMetrics(node, { dataDir: options.dataDir });
  app.addHook('onResponse', metrics.onResponse);
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.scrape();
    return reply.header('content-type', contentType).send(body);
  });
  app.get('/status', async () => buildStatus(node, metrics));
  registerClusterAdminRoutes(app as unknown as FastifyInstance, node);

  const n = (): number => node.view.params.n;

  // Runs anti-entropy now for one partition (or every partition this node replicates) with every live fellow.
  app.post('/admin/repair', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const all = node.antiEntropy.partitionsReplicated();
    let partitions = all;
    if (q.partition !== undefined) {
      const p = /^[0-9]{1,5}$/.test(q.partition) ? Number(q.partition) : NaN;
      if (!all.includes(p)) {
        throw new RingkvError('BAD_REQUEST', `partition must be one this node replicates (0..${node.view.params.partitionCount - 1}); got "${q.partition.slice(0, 20)}"`);
      }
      partitions = [p];
    }
    await node.whenTreesBuilt();
    const results: ({ ok: true } & ExchangeOutcome | { ok: false; partition: number; peer: string; error: string })[] = [];
    for (const p of partitions) {
      for (const peer of node.view.preferenceList(p)) {
        if (peer === node.view.self.id || !node.membership.isUp(peer, node.deps.clock.now())) continue;
        try {
          results.push({ ok: true, ...(await node.antiEntropy.exchange(p, peer)) });
        } catch (err) {
          results.push({ ok: false, partition: p, peer, error: (err as Error).message });
        }
      }
    }
    const sum = (k: 'keysRepaired' | 'bytesSent' | 'bytesReceived'): number => results.reduce((a, r) => a + (r.ok ? r[k] : 0), 0);
    return {
      partitions: partitions.length,
      exchanges: results.length,
      failed: results.filter((r) => !r.ok).length,
      keysRepaired: sum('keysRepaired'),
      bytesSent: sum('bytesSent'),
      bytesReceived: sum('bytesReceived'),
      results: partitions.length === 1 ? results : undefined,
    };
  });

  app.get('/kv/*', async (request, reply) => {
    const key = keyOf(request);
    const q = request.query as Record<string, string | undefined>;
    const r = parseQuorumParam('r', q.r, n(), node.view.params.r);
    const pr = parseQuorumParam('pr', q.pr, n(), 0, 0);
    const { record } = await node.coordinator.get({ key, r, pr });
    return sendRecord(reply, record, 200);
  });

  app.put('/kv/*', async (request, reply) => {
    const key = keyOf(request);
    const q = request.query as Record<string, string | undefined>;
    const w = parseQuorumParam('w', q.w, n(), node.view.params.w);
    const pw = parseQuorumParam('pw', q.pw, n(), 0, 0);
    const context = contextOf(request);
    const contentType = contentTypeOf(request);
    const body = request.body;
    const value = body instanceof Uint8Array ? body : new Uint8Array(0);
    const result = await node.coordinator.write({ key, value, contentType, context, w, pw });
    if (q.returnbody === 'true') return sendRecord(reply, result.record, 200);
    return reply.code(204).header('x-context', encodeContext(result.context)).send();
  });

  app.delete('/kv/*', async (request, reply) => {
    const key = keyOf(request);
    const q = request.query as Record<string, string | undefined>;
    const w = parseQuorumParam('w', q.w, n(), node.view.params.w);
    const pw = parseQuorumParam('pw', q.pw, n(), 0, 0);
    const context = contextOf(request);
    const result = await node.coordinator.write({ key, value: null, contentType: defaultContentType, context, w, pw });
    return reply.code(204).header('x-context', encodeContext(result.context)).send();
  });

  return app;
}

/** The key is the rest of the path after /kv/, percent-decoded exactly once. */
function keyOf(request: FastifyRequest): Uint8Array {
  const path = request.url.split('?')[0] ?? '';
  const raw = path.slice('/kv/'.length);
  if (raw.includes('/')) throw new RingkvError('KEY_INVALID', 'the key must be one path segment; encode "/" as %2F');
  let key: string;
  try {
    key = decodeURIComponent(raw);
  } catch {
    throw new RingkvError('KEY_INVALID', 'the key is not valid percent-encoded UTF-8');
  }
  return encodeKey(key);
}

function contextOf(request: FastifyRequest): string {
  const header = request.headers['x-context'];
  if (header === undefined || header === '') return '';
  if (Array.isArray(header)) throw new RingkvError('CONTEXT_INVALID', 'send one X-Context header');
  try {
    decodeContext(header);
  } catch (err) {
    if (err instanceof ContextFormatError) throw new RingkvError('CONTEXT_INVALID', `malformed X-Context: ${err.message}`);
    throw err;
  }
  return header;
}

function contentTypeOf(request: FastifyRequest): string {
  const ct = request.headers['content-type'];
  if (ct === undefined || ct === '') return defaultContentType;
  if (ct.length > contentTypeCharsMax) {
    throw new RingkvError('BAD_REQUEST', `Content-Type is longer than ${contentTypeCharsMax} characters`);
  }
  return ct;
}

function sendRecord(reply: FastifyReply, record: KvRecord | undefined, okStatus: number): FastifyReply {
  if (record === undefined || isDeleted(record)) {
    if (record !== undefined) reply.header('x-context', encodeContext(readContext(record)));
    return sendError(reply, new RingkvError('NOT_FOUND', 'no value is stored under this key'));
  }
  const context = encodeContext(readContext(record));
  const live = liveSiblings(record);
  const [only] = live;
  if (live.length === 1 && only !== undefined && only.value !== null) {
    return reply.code(okStatus).header('content-type', only.contentType).header('x-context', context).send(Buffer.from(only.value));
  }
  const siblings = live.map((s) => ({
    value: Buffer.from(s.value ?? new Uint8Array(0)).toString('base64'),
    contentType: s.contentType,
    writtenAt: s.writtenAt,
  }));
  return reply.code(300).header('x-context', context).send({ siblings });
}
