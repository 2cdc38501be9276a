import { RingkvError, errorBody } from '@ringkv/core';
import { CorruptRecordError, StoreDamagedError, StoreFullError } from '@ringkv/storage';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

interface FastifyishError {
  readonly code?: string;
  readonly statusCode?: number;
  readonly message: string;
}

/**
 * A full disk refuses a write whole (its batch failed; nothing of it was
 * stored), so nothing is acknowledged and another node may take it.
 */
export function storeFullError(err: StoreFullError): RingkvError {
  return new RingkvError('INSUFFICIENT_STORAGE', "this node's disk is full: the write was not stored", { dataDir: err.dir });
}

/**
 * A store LevelDB stopped (a damaged table block) refuses a write whole, like
 * a full disk: nothing was stored, another replica may take it.
 */
export function storeDamagedError(err: StoreDamagedError): RingkvError {
  return new RingkvError('STORE_DAMAGED', `this node's store is damaged: ${err.message}; the write was not stored`, { dataDir: err.dir });
}

/** The client error for a store's refusal of a write (full or damaged), or undefined for any other error. */
export function storeRefusal(err: unknown): RingkvError | undefined {
  if (err instanceof StoreFullError) return storeFullError(err);
  if (err instanceof StoreDamagedError) return storeDamagedError(err);
  return undefined;
}

/**
 * Turns anything thrown while handling a request into the one error shape:
 * `{ error: CODE, message, ...details }` with the catalogue's status.
 */
export function toRingkvError(err: unknown, valueBytesMax: number): RingkvError {
  if (err instanceof RingkvError) return err;
  const refused = storeRefusal(err);
  if (refused !== undefined) return refused;
  // Reaches a client only when no other replica could take the request in its place (N=1, or the others down).
  if (err instanceof CorruptRecordError) {
    return new RingkvError('UNAVAILABLE', "this node's stored copy of the key is damaged (it failed its checksum) and is being repaired from the other replicas; retry shortly", {
      partition: err.partition,
    });
  }
  const e = err as FastifyishError;
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new RingkvError('VALUE_TOO_LARGE', `the value is larger than the maximum of ${valueBytesMax} bytes`, {
      limitBytes: valueBytesMax,
    });
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new RingkvError('BAD_REQUEST', e.message);
  }
  return new RingkvError('INTERNAL', 'internal error; see the node log');
}

export function sendError(reply: FastifyReply, err: RingkvError): FastifyReply {
  return reply.code(err.status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(errorBody(err)));
}

/** Known paths: a request to one of them with another method is 405, not 404. */
const methodsByPath: readonly (readonly [RegExp, string])[] = [
  [/^\/kv\/[^/]*$/, 'GET, HEAD, PUT, DELETE'],
  [/^\/counter\/[^/]*$/, 'GET, HEAD, POST'],
  [/^\/health$/, 'GET, HEAD'],
  [/^\/status$/, 'GET, HEAD'],
  [/^\/metrics$/, 'GET, HEAD'],
  [/^\/admin\/repair$/, 'POST'],
  [/^\/admin\/cluster\/(join|leave|remove|commit|clear)$/, 'POST'],
  [/^\/admin\/cluster\/(plan|status)$/, 'GET, HEAD'],
];

export function notFoundOrMethod(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? '';
  for (const [pattern, allow] of methodsByPath) {
    if (pattern.test(path)) {
      reply.header('allow', allow);
      return sendError(reply, new RingkvError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; use ${allow}`));
    }
  }
  return sendError(reply, new RingkvError('ROUTE_NOT_FOUND', `no endpoint ${request.method} ${path.slice(0, 200)}`));
}

export type { FastifyError };
