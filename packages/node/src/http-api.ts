import {
  ContextFormatError,
  RingkvError,
  decodeContext,
  encodeContext,
  encodeKey,
  parseQuorumParam,
  readContext,
  etagOfLive,
  liveAt,
  parseEtagCondition,
  ttlSecondsMax,
  type EtagCondition,
  type KvRecord,
  type Sibling,
} from '@ringkv/core';
import { conditionalWrite } from './conditional-write.js';
import type { WriteRequest, WriteResult } from './coordinator.js';
import Fastify, { LogController, type FastifyHttpOptions, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Server } from 'node:http';
import type { Logger as PinoLogger } from 'pino';
import type { ExchangeOutcome } from './anti-entropy.js';
import { notFoundOrMethod, sendError, toRingkvError } from './http-errors.js';
import type { RingkvNode } from './ringkv-node.js';
import { buildStatus } from './status.js';
import { registerClusterAdminRoutes } from './cluster-admin-routes.js';
import { registerStorageAdminRoutes } from './storage-admin-routes.js';
import { registerCounterRoutes } from './counter-routes.js';
import { registerRingRoutes } from './ring-routes.js';
import { registerBackupRoutes } from './backup-routes.js';
import { registerConsoleRoutes } from './console-routes.js';
import { NodeMetrics } from './metrics.js';
import { registerAuth, type TokenSet } from './http-auth.js';
import { HTTP_LIMIT_DEFAULTS, applyServerLimits, registerInFlightLimit, registerKvRequestLimits, serverLimitOptions, type HttpLimits, type KvRequestLimits } from './http-limits.js';
import type { TlsFiles } from './tls-options.js';

export interface HttpApiOptions {
  readonly valueBytesMax: number;
  readonly logger: PinoLogger;
  /** the node's LevelDB directory, for the store-size metric */
  readonly dataDir?: string;
  /** when set, every route but the public ones needs one of these bearer tokens (http-auth.ts) */
  readonly authTokens?: TokenSet;
  /** serve HTTPS with this certificate */
  readonly tls?: TlsFiles;
  /** client limits (http-limits.ts); defaults HTTP_LIMIT_DEFAULTS */
  readonly limits?: HttpLimits;
  /** operator's key and context size bounds for /kv requests */
  readonly kvLimits?: KvRequestLimits;
}

const defaultContentType = 'application/octet-stream';
const contentTypeCharsMax = 256;

/** The public HTTP contract of every node (see the README's API section). */
export function buildHttpApi(node: RingkvNode, options: HttpApiOptions) {
  const limits = options.limits ?? HTTP_LIMIT_DEFAULTS;
  const serverOptions = serverLimitOptions(limits);
  // Typed as the plain-HTTP variant either way: fastify picks https.createServer
  // at run time when `https` is set, and both servers have the fields we touch.
  const transportOptions = (options.tls === undefined
    ? { http: serverOptions }
    : { https: { ...serverOptions, cert: options.tls.cert, key: options.tls.key, ...(options.tls.ca === undefined ? {} : { ca: options.tls.ca }) } }) as FastifyHttpOptions<Server, PinoLogger>;
  const app = Fastify({
    ...transportOptions,
    // Closes a connection with no traffic for this long (a client holding sockets open for free).
    connectionTimeout: limits.idleTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    loggerInstance: options.logger,
    // One log line per request would cost more than the request on the hot path.
    logController: new LogController({ disableRequestLogging: true }),
    // No per-request child logger (pino serialises its bindings on every
    // request): nothing here logs per request, and errors carry their own context.
    childLoggerFactory: (logger) => logger,
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

  // First hooks of every request, 404s included: nothing else runs for a request they refuse.
  applyServerLimits(app.server, limits);
  registerInFlightLimit(app as unknown as FastifyInstance, limits.inFlightCountMax);
  if (options.authTokens !== undefined) registerAuth(app as unknown as FastifyInstance, options.authTokens);
  if (options.kvLimits !== undefined) registerKvRequestLimits(app as unknown as FastifyInstance, options.kvLimits);

  app.get('/health', async () => ({ status: 'ok', id: node.view.self.id }));
  const metrics = new NodeMetrics(node, { dataDir: options.dataDir });
  app.addHook('onResponse', metrics.onResponse);
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.scrape();
    return reply.header('content-type', contentType).send(body);
  });
  app.get('/status', async () => buildStatus(node, metrics));
  registerClusterAdminRoutes(app as unknown as FastifyInstance, node);
  registerStorageAdminRoutes(app as unknown as FastifyInstance, node);
  registerCounterRoutes(app as unknown as FastifyInstance, node);
  registerRingRoutes(app as unknown as FastifyInstance, node);
  registerBackupRoutes(app as unknown as FastifyInstance, node);
  registerConsoleRoutes(app as unknown as FastifyInstance, node, metrics);

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
    return sendRecord(reply, record, 200, node.deps.clock.now(), metrics, 'get', key);
  });

  app.put('/kv/*', async (request, reply) => {
    const key = keyOf(request);
    const q = request.query as Record<string, string | undefined>;
    const w = parseQuorumParam('w', q.w, n(), node.view.params.w);
    const pw = parseQuorumParam('pw', q.pw, n(), 0, 0);
    const dw = parseQuorumParam('dw', q.dw, n(), 0, 0);
    const context = contextOf(request);
    const contentType = contentTypeOf(request);
    const body = request.body;
    const value = body instanceof Uint8Array ? body : new Uint8Array(0);
    const ttlMs = parseTtlParam(q.ttl);
    const write = { key, value, contentType, context, w, pw, dw, ...(ttlMs !== undefined && { ttlMs }) };
    const result = await writeIfConditionsHold(request, reply, write);
    if (result === undefined) return reply;
    const now = node.deps.clock.now();
    if (q.returnbody === 'true') return sendRecord(reply, result.record, 200, now, metrics, 'put', key);
    const live = liveAt(result.record, now);
    metrics.observeSiblings('put', live.length, key);
    return withEtag(reply.code(204).header('x-context', encodeContext(result.context)), live).send();
  });

  app.delete('/kv/*', async (request, reply) => {
    const key = keyOf(request);
    const q = request.query as Record<string, string | undefined>;
    const w = parseQuorumParam('w', q.w, n(), node.view.params.w);
    const pw = parseQuorumParam('pw', q.pw, n(), 0, 0);
    const dw = parseQuorumParam('dw', q.dw, n(), 0, 0);
    const context = contextOf(request);
    const result = await writeIfConditionsHold(request, reply, { key, value: null, contentType: defaultContentType, context, w, pw, dw });
    if (result === undefined) return reply;
    // Values written concurrently with the delete, unseen by it, survive it as siblings.
    metrics.observeHeld(liveAt(result.record, node.deps.clock.now()).length, key);
    return reply.code(204).header('x-context', encodeContext(result.context)).send();
  });

  /** The write, unless If-Match / If-None-Match fail: then 412 with the current ETag is sent and undefined returned. */
  async function writeIfConditionsHold(request: FastifyRequest, reply: FastifyReply, write: WriteRequest): Promise<WriteResult | undefined> {
    const q = request.query as Record<string, string | undefined>;
    const conditions = { ...writeConditionsOf(request), r: parseQuorumParam('r', q.r, n(), node.view.params.r) };
    try {
      return await conditionalWrite(node.coordinator, () => node.deps.clock.now(), write, conditions);
    } catch (err) {
      if (!(err instanceof RingkvError) || err.code !== 'PRECONDITION_FAILED') throw err;
      const etag = err.details['etag'];
      if (typeof etag === 'string') reply.header('etag', etag);
      sendError(reply, err);
      return undefined;
    }
  }

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

/**
 * `now` (this node's clock) judges expiry: a version past its deadline is not shown, nor counted in the ETag.
 * `metrics` learn how many live versions of `key` were sent (none for a 404).
 */
function sendRecord(reply: FastifyReply, record: KvRecord | undefined, okStatus: number, now: number, metrics: NodeMetrics, op: 'get' | 'put', key: Uint8Array): FastifyReply {
  const live = record === undefined ? [] : liveAt(record, now);
  if (record === undefined || live.length === 0) {
    metrics.observeHeld(0, key);
    if (record !== undefined) reply.header('x-context', encodeContext(readContext(record)));
    return sendError(reply, new RingkvError('NOT_FOUND', 'no value is stored under this key'));
  }
  const context = encodeContext(readContext(record));
  metrics.observeSiblings(op, live.length, key);
  const [only] = live;
  withEtag(reply, live);
  if (live.length === 1 && only !== undefined && only.value !== null) {
    return reply.code(okStatus).header('content-type', only.contentType).header('x-context', context).send(Buffer.from(only.value));
  }
  const siblings = live.map((s) => ({
    value: Buffer.from(s.value ?? new Uint8Array(0)).toString('base64'),
    contentType: s.contentType,
    writtenAt: s.writtenAt,
    ...(s.expiresAt !== undefined && { expiresAt: s.expiresAt }),
  }));
  return reply.code(300).header('x-context', context).send({ siblings });
}

/** `live`: the record's live siblings (`liveAt`), which the caller has already computed. */
function withEtag(reply: FastifyReply, live: readonly Sibling[]): FastifyReply {
  const etag = etagOfLive(live);
  return etag === undefined ? reply : reply.header('etag', etag);
}

/** PUT ?ttl=SECONDS: a positive integer of seconds, at most ten years. */
function parseTtlParam(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = /^[0-9]{1,10}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v) || v < 1 || v > ttlSecondsMax) {
    throw new RingkvError('BAD_REQUEST', `ttl must be a whole number of seconds in 1..${ttlSecondsMax}; got "${text.slice(0, 20)}"`);
  }
  return v * 1000;
}

/** If-Match / If-None-Match, parsed; a malformed one is refused rather than ignored (ignoring would write unconditionally). */
function writeConditionsOf(request: FastifyRequest): { ifMatch?: EtagCondition; ifNoneMatch?: EtagCondition } {
  const parse = (name: 'if-match' | 'if-none-match'): EtagCondition | undefined => {
    const header = request.headers[name];
    if (header === undefined) return undefined;
    const cond = typeof header === 'string' ? parseEtagCondition(header) : undefined;
    if (cond === undefined) throw new RingkvError('BAD_REQUEST', `${name === 'if-match' ? 'If-Match' : 'If-None-Match'} must be * or a list of quoted ETags`);
    return cond;
  };
  const ifMatch = parse('if-match');
  const ifNoneMatch = parse('if-none-match');
  return { ...(ifMatch !== undefined && { ifMatch }), ...(ifNoneMatch !== undefined && { ifNoneMatch }) };
}
