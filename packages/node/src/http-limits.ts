/**
 * Limits on what one client can make a node hold: connections, header bytes,
 * time to send a request, requests in flight. They apply to the HTTP API
 * only; replication, hints, read repair, anti-entropy and handoff travel over
 * the RPC port and are never refused for being over a client limit.
 */
import { RingkvError } from '@ringkv/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from 'node:http';
import { sendError } from './http-errors.js';

export interface HttpLimits {
  /** open client connections; the kernel listener refuses more */
  readonly connectionCountMax: number;
  /** requests being handled at once; more are answered 503 OVERLOADED at once */
  readonly inFlightCountMax: number;
  /** bytes of request line + headers (Node answers 431 beyond) */
  readonly headerBytesMax: number;
  /** a client must have sent all its headers within this (slowloris) */
  readonly headersTimeoutMs: number;
  /** …and its whole request, body included, within this */
  readonly requestTimeoutMs: number;
  /**
   * a connection with no traffic at all for this long is closed, even while
   * its request is being handled; 0 = never (idle keep-alive connections
   * still close after fastify's keepAliveTimeout, 72 s)
   */
  readonly idleTimeoutMs: number;
}

export const HTTP_LIMIT_DEFAULTS: HttpLimits = {
  connectionCountMax: 1024,
  inFlightCountMax: 512,
  // Node's own default: enough for any header this API uses (an 8 KiB X-Context and a token).
  headerBytesMax: 16 * 1024,
  headersTimeoutMs: 10_000,
  // A 64 MiB value (the largest --value-bytes-max) still arrives in time at ~250 KB/s.
  requestTimeoutMs: 300_000,
  // Off: a long /admin/repair sends nothing until it is done, and must not be cut.
  // Slow senders are bounded by the two timeouts above.
  idleTimeoutMs: 0,
};

/** Seconds a client told OVERLOADED should wait before retrying. */
const retryAfterSeconds = 1;
/**
 * How often Node looks for requests past headersTimeoutMs / requestTimeoutMs;
 * its default (30 s) would let a slow client hold a socket that much longer.
 */
const timeoutCheckIntervalMs = 1000;

/** Options for the node:http(s) server fastify creates. */
export function serverLimitOptions(limits: HttpLimits): { maxHeaderSize: number; connectionsCheckingInterval: number } {
  return { maxHeaderSize: limits.headerBytesMax, connectionsCheckingInterval: timeoutCheckIntervalMs };
}

/** Limits set on the server object itself once fastify has created it. */
export function applyServerLimits(server: Server, limits: HttpLimits): void {
  server.maxConnections = limits.connectionCountMax;
  // Node requires headersTimeout <= requestTimeout.
  server.headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  server.requestTimeout = limits.requestTimeoutMs;
}

/**
 * Counts requests from arrival until their response has gone (or the client
 * went away) and answers 503 OVERLOADED with Retry-After beyond the bound,
 * before any work is done for them.
 */
export function registerInFlightLimit(app: FastifyInstance, inFlightCountMax: number): { readonly inFlight: () => number } {
  let inFlight = 0;
  // Callback style, not async: a hook on every request should not cost a promise.
  app.addHook('onRequest', (_request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    if (inFlight >= inFlightCountMax) {
      reply.header('retry-after', String(retryAfterSeconds));
      sendError(reply, new RingkvError('OVERLOADED', `this node already handles ${inFlightCountMax} requests; retry later`));
      return;
    }
    inFlight++;
    // 'close' fires once whether the response finished or the connection broke.
    reply.raw.once('close', () => inFlight--);
    done();
  });
  return { inFlight: () => inFlight };
}

export interface KvRequestLimits {
  /** longest key in bytes of UTF-8 (never more than core's keyBytesMax) */
  readonly keyBytesMax: number;
  /** longest X-Context header in characters (never more than core's context limit) */
  readonly contextBytesMax: number;
}

/**
 * Checks a /kv request's key and context sizes as soon as it arrives, before
 * its body is read or any replica is asked. (The route handlers check the
 * same things against the hard limits of the core; these are the operator's
 * tighter ones.)
 */
export function registerKvRequestLimits(app: FastifyInstance, limits: KvRequestLimits): void {
  // Callback style, like the in-flight limit: no promise per request. A refused request is answered
  // here and `done` is not called, so nothing else runs for it.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    const refusal = kvRequestRefusal(request, limits);
    if (refusal === undefined) done();
    else sendError(reply, refusal);
  });
}

/** Why a /kv request's key or context is over the operator's limits, or undefined when it is not. */
function kvRequestRefusal(request: FastifyRequest, limits: KvRequestLimits): RingkvError | undefined {
  const url = request.raw.url ?? '';
  if (!url.startsWith('/kv/')) return undefined;
  const context = request.headers['x-context'];
  if (typeof context === 'string' && context.length > limits.contextBytesMax) {
    return new RingkvError('CONTEXT_INVALID', `the X-Context header is ${context.length} characters; the maximum is ${limits.contextBytesMax}`);
  }
  const raw = url.slice('/kv/'.length).split('?')[0] ?? '';
  let keyBytes: number;
  try {
    keyBytes = Buffer.byteLength(decodeURIComponent(raw), 'utf8');
  } catch {
    return undefined; // malformed: the route answers KEY_INVALID with the reason
  }
  if (keyBytes > limits.keyBytesMax) {
    return new RingkvError('KEY_INVALID', `the key is ${keyBytes} bytes of UTF-8; the maximum is ${limits.keyBytesMax}`);
  }
  return undefined;
}
