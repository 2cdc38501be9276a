import { RingkvError, TransportError, decodeContext, encodeContext, recordFromWire, recordToWire, type ReplicaTarget } from '@ringkv/core';
import type { WriteRequest, WriteResult } from './coordinator.js';
import type { ReplicaClient } from './replica-client.js';
import type { CoordPutBody } from './rpc-ops.js';

/** The body a coord.put handler answers: the result, or the coordinator's error with its details. */
export type CoordPutReply =
  | { readonly ctx: string; readonly rec: unknown; readonly dot: readonly [string, number]; readonly sloppy: boolean }
  | { readonly err: { readonly code: string; readonly message: string; readonly details: Record<string, unknown> } };

/**
 * Hands a client write to a node that holds the key (in replica-list order).
 * Only an unreachable node is skipped: after a timeout the write may have
 * been applied, and retrying elsewhere would store it twice as siblings.
 */
export async function forwardWrite(
  peers: ReplicaClient,
  targets: readonly ReplicaTarget[],
  req: WriteRequest,
  rid: string,
  timeoutMs = 2000,
): Promise<WriteResult> {
  const body: CoordPutBody = {
    k: req.key,
    v: req.value,
    ct: req.contentType,
    ctx: req.context,
    w: req.w,
    pw: req.pw,
    rid,
    ...(req.ttlMs !== undefined && { ttl: req.ttlMs }),
  };
  for (const t of targets) {
    let reply: unknown;
    try {
      reply = await peers.coordPut(t.node, body, timeoutMs);
    } catch (err) {
      if (err instanceof TransportError && err.code === 'UNREACHABLE') continue;
      throw new RingkvError('UNAVAILABLE', `forwarding the write to ${t.node} failed: ${(err as Error).message}`);
    }
    return parseForwardReply(reply);
  }
  throw new RingkvError('UNAVAILABLE', 'no replica of this key could be reached to coordinate the write');
}

function parseForwardReply(body: unknown): WriteResult {
  const b = body as Record<string, unknown> | null;
  if (b !== null && typeof b === 'object' && typeof b.err === 'object' && b.err !== null) {
    const e = b.err as Record<string, unknown>;
    // The coordinator's verdicts about the write itself pass through; anything else means it could not coordinate.
    const code = e.code === 'QUORUM_NOT_MET' || e.code === 'SIBLINGS_TOO_MANY' ? e.code : 'UNAVAILABLE';
    const details = typeof e.details === 'object' && e.details !== null ? (e.details as Record<string, unknown>) : {};
    throw new RingkvError(code, String(e.message), details);
  }
  const dot = Array.isArray(b?.dot) ? (b.dot as unknown[]) : [];
  if (b === null || typeof b !== 'object' || typeof b.ctx !== 'string' || typeof dot[0] !== 'string' || typeof dot[1] !== 'number') {
    throw new RingkvError('UNAVAILABLE', 'malformed reply to a forwarded write');
  }
  return {
    context: decodeContext(b.ctx),
    record: recordFromWire(b.rec),
    dot: { actor: dot[0], counter: dot[1] },
    sloppy: b.sloppy !== false,
  };
}

export function encodeForwardReply(result: WriteResult): CoordPutReply {
  return {
    ctx: encodeContext(result.context),
    rec: recordToWire(result.record),
    dot: [result.dot.actor, result.dot.counter],
    sloppy: result.sloppy,
  };
}
