/**
 * /counter/:key — PN-counters and rate-limit buckets (counter-increment.ts).
 * POST adds a delta and answers the count after it, so a caller can enforce a
 * limit in one round trip; GET reads the join of R replicas' states.
 */
import { RingkvError, counterDeltaAbsMax, counterStateOf, encodeCounterKey, parseQuorumParam, pnExpired, pnValue } from '@ringkv/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RingkvNode } from './ringkv-node.js';

/** The JSON of both routes. `windowEnd` (ms since the epoch) only while a window (?ttl) runs. */
export interface CounterBody {
  readonly value: number;
  readonly windowEnd?: number;
}

/** One year: a rate-limit window longer than this is a configuration mistake, not a window. */
export const counterTtlSecondsMax = 366 * 86_400;
/** A POST body is `{"delta": n}`; anything much longer is not one. */
const bodyBytesMax = 256;

export function registerCounterRoutes(app: FastifyInstance, node: RingkvNode): void {
  const n = (): number => node.view.params.n;

  app.post('/counter/*', async (request) => {
    const key = counterKeyOf(request);
    const q = request.query as Record<string, string | undefined>;
    const w = parseQuorumParam('w', q.w, n(), node.view.params.w);
    const pw = parseQuorumParam('pw', q.pw, n(), 0, 0);
    const dw = parseQuorumParam('dw', q.dw, n(), 0, 0);
    const ttlMs = q.ttl === undefined ? undefined : parseTtlSeconds(q.ttl) * 1000;
    const delta = parseDelta(request.body);
    const result = await node.coordinator.increment({ key, delta, ttlMs, w, pw, dw });
    return bodyOf(result.value, result.windowEnd);
  });

  app.get('/counter/*', async (request) => {
    const key = counterKeyOf(request);
    const q = request.query as Record<string, string | undefined>;
    const r = parseQuorumParam('r', q.r, n(), node.view.params.r);
    const pr = parseQuorumParam('pr', q.pr, n(), 0, 0);
    const { record } = await node.coordinator.get({ key, r, pr });
    const now = node.deps.clock.now();
    const state = counterStateOf([record]);
    return bodyOf(pnValue(state, now), state === undefined || pnExpired(state, now) ? null : state.windowEnd);
  });
}

function bodyOf(value: number, windowEnd: number | null): CounterBody {
  return windowEnd === null ? { value } : { value, windowEnd };
}

/** The key is the rest of the path after /counter/, percent-decoded exactly once (as for /kv). */
function counterKeyOf(request: FastifyRequest): Uint8Array {
  const path = request.url.split('?')[0] ?? '';
  const raw = path.slice('/counter/'.length);
  if (raw.includes('/')) throw new RingkvError('KEY_INVALID', 'the counter key must be one path segment; encode "/" as %2F');
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    throw new RingkvError('KEY_INVALID', 'the counter key is not valid percent-encoded UTF-8');
  }
  return encodeCounterKey(name);
}

function parseTtlSeconds(text: string): number {
  const ttl = /^[0-9]{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(ttl >= 1 && ttl <= counterTtlSecondsMax)) {
    throw new RingkvError('BAD_REQUEST', `ttl must be a whole number of seconds from 1 to ${counterTtlSecondsMax}; got "${text.slice(0, 20)}"`);
  }
  return ttl;
}

/** `{"delta": n}`; an empty body adds 1. The body arrives as raw bytes (http-api takes every body as a Buffer). */
export function parseDelta(body: unknown): number {
  const bytes = body instanceof Uint8Array ? body : new Uint8Array(0);
  if (bytes.length === 0) return 1;
  if (bytes.length > bodyBytesMax) throw new RingkvError('BAD_REQUEST', `the body must be {"delta": n}, at most ${bodyBytesMax} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new RingkvError('BAD_REQUEST', 'the body is not JSON; send {"delta": n}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.hasOwn(parsed, 'delta')) {
    throw new RingkvError('BAD_REQUEST', 'the body must be a JSON object {"delta": n}');
  }
  const extra = Object.keys(parsed).filter((k) => k !== 'delta');
  if (extra.length > 0) throw new RingkvError('BAD_REQUEST', `unknown field "${extra[0]?.slice(0, 40) ?? ''}" in the body; send {"delta": n}`);
  const delta = (parsed as { delta: unknown }).delta;
  if (typeof delta !== 'number' || !Number.isSafeInteger(delta) || Math.abs(delta) > counterDeltaAbsMax) {
    throw new RingkvError('BAD_REQUEST', `delta must be an integer from -${counterDeltaAbsMax} to ${counterDeltaAbsMax}`);
  }
  return delta;
}
