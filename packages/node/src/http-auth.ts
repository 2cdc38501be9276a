/**
 * Bearer-token authentication of the HTTP API. When tokens are configured,
 * every request needs `Authorization: Bearer <token>` — except the few routes
 * listed in `publicRoutes`. The rule is "deny unless explicitly public", so a
 * route added later is protected without anyone remembering to protect it.
 *
 * Several tokens may be valid at once, so a token can be rotated without
 * downtime (add the new one, move clients over, drop the old one).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { RingkvError } from '@ringkv/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './http-errors.js';

/** Tokens are compared as SHA-256 digests: equal lengths, so neither a token's length nor its content leaks through timing. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export const authTokenCharsMin = 16;
export const authTokenCharsMax = 4096;
/** Visible ASCII: what can travel in an HTTP header unquoted. */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

/** Why `token` cannot be used (without quoting the token itself), or undefined when it is fine. */
export function authTokenProblem(token: string): string | undefined {
  if (token.length < authTokenCharsMin) return `an auth token must have at least ${authTokenCharsMin} characters (got ${token.length})`;
  if (token.length > authTokenCharsMax) return `an auth token must have at most ${authTokenCharsMax} characters`;
  if (!TOKEN_PATTERN.test(token)) return 'an auth token may only contain visible ASCII characters (no spaces)';
  return undefined;
}

/** The tokens currently accepted; replaceable at run time (SIGHUP re-reads the token file). */
export class TokenSet {
  private digests: readonly Buffer[] = [];

  constructor(tokens: readonly string[]) {
    this.replace(tokens);
  }

  get size(): number {
    return this.digests.length;
  }

  replace(tokens: readonly string[]): void {
    for (const token of tokens) {
      const problem = authTokenProblem(token);
      if (problem !== undefined) throw new RangeError(problem);
    }
    this.digests = [...new Set(tokens)].map(digest);
  }

  /** Compares against every token, without stopping at the first match, in constant time per token. */
  accepts(candidate: string): boolean {
    const got = digest(candidate);
    let match = false;
    for (const want of this.digests) match = timingSafeEqual(got, want) || match;
    return match;
  }
}

/**
 * Route patterns (as registered with fastify) anyone may GET without a token:
 * the health check for load balancers, and the web console's static files —
 * the console then sends the token it was given with each of its API calls
 * (/ui/api/* and everything else stay protected).
 */
export const publicRoutes: ReadonlySet<string> = new Set(['/health', '/ui', '/ui/', '/ui/:file']);

function isPublic(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const route = request.routeOptions.url;
  return route !== undefined && publicRoutes.has(route);
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer +([^ ]+) *$/i.exec(header);
  return match?.[1];
}

/** Registers the check as the first onRequest hook: nothing else runs for a request that fails it. */
export function registerAuth(app: FastifyInstance, tokens: TokenSet): void {
  // Callback style, like the limit hooks: no promise per request. A refused request is answered here
  // and `done` is not called, so nothing else runs for it.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    if (isPublic(request)) return done();
    const token = bearerToken(request.headers.authorization);
    if (token !== undefined && tokens.accepts(token)) return done();
    reply.header('www-authenticate', 'Bearer realm="ringkv"');
    const why = token === undefined ? 'send Authorization: Bearer <token>' : 'the bearer token is not valid';
    sendError(reply, new RingkvError('UNAUTHORIZED', `this node requires authentication: ${why}`));
  });
}
