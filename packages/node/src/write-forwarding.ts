import { RingkvError, TransportError, decodeContext, encodeContext, recordFromWire, recordToWire, type ReplicaTarget } from '@ringkv/core';
import type { WriteRequest, WriteResult } from './coordinator.js';
import type { ReplicaClient } from './replica-client.js';
import type { CoordPutBody } from './rpc-ops.js';

/** The body a coord.put handler answers: the result, or the coordinator's error with its details. */
export type CoordPutReply =
  /** `e`: the coordinator's ring epoch when it finished (see `ringEpochDiffers`) */
  | { readonly ctx: string; readonly rec: unknown; readonly dot: readonly [string, number]; readonly sloppy: boolean; readonly e?: number }
  | { readonly err: { readonly code: string; readonly message: string; readonly details: Record<string, unknown> } };

/**
 * Hands a client write to a node that holds the key (in replica-list order).
 * Only an unreachable node, or one whose store refused the write (full or stopped: it stored nothing), is
 * skipped: after a timeout the write may have been applied, and retrying
 * elsewhere would store it twice as siblings. `ringEpoch` is ours, to compare
 * with the coordinator's.
 */
export async function forwardWrite(
  peers: ReplicaClient,
  targets: readonly ReplicaTarget[],
  req: WriteRequest,
  rid: string,
  timeoutMs: number,
  ringEpoch: () => number,
): Promise<WriteResult> {
  const body: CoordPutBody = {
    k: req.key,
    v: req.value,
    ct: req.contentType,
    ctx: req.context,
    w: req.w,
    pw: req.pw,
    ...(req.dw !== undefined && req.dw > 0 && { dw: req.dw }),
    rid,
    ...(req.ttlMs !== undefined && { ttl: req.ttlMs }),
  };
  let full: RingkvError | undefined;
  for (const t of targets) {
    let reply: unknown;
    try {
      reply = await peers.coordPut(t.node, body, timeoutMs);
    } catch (err) {
      if (err instanceof TransportError && err.code === 'UNREACHABLE') continue;
      throw new RingkvError('UNAVAILABLE', `forwarding the write to ${t.node} failed: ${(err as Error).message}`);
    }
    full = refusedByStore(reply, t.node);
    if (full === undefined) return parseForwardReply(reply, ringEpoch());
  }
  throw full ?? new RingkvError('UNAVAILABLE', 'no replica of this key could be reached to coordinate the write');
}

/**
 * When a forwarded write's coordinator answered that its store refused the
 * write (a full disk, or a store LevelDB stopped: it stored nothing, so the
 * next replica may take the write): the error to give if no replica can.
 */
export function refusedByStore(reply: unknown, node: string): RingkvError | undefined {
  const err = (reply as { readonly err?: { readonly code?: unknown } } | null)?.err;
  if (typeof err !== 'object' || err === null) return undefined;
  if (err.code === 'INSUFFICIENT_STORAGE') return new RingkvError('INSUFFICIENT_STORAGE', `the disks of the key's replicas are full (last: ${node}): the write was not stored`);
  if (err.code === 'STORE_DAMAGED') return new RingkvError('STORE_DAMAGED', `the stores of the key's replicas refuse writes (last: ${node}, whose LevelDB read a damaged table block): the write was not stored`);
  return undefined;
}

/**
 * Whether a forwarded write or increment was coordinated on another ring
 * epoch than the forwarder's: its W acks came from the replicas of that
 * coordinator's ring, which need not be the ones a reader on ours asks, so it
 * is reported sloppy (no read-your-writes promise). Simulator seed 6001: a
 * node still on the ring before a join coordinated a write forwarded by a
 * node on the new one; a read on the new ring then missed it. A reply
 * without an epoch (an older node) counts as differing.
 */
export function ringEpochDiffers(reply: { readonly e?: unknown }, ours: number): boolean {
  return reply.e !== ours;
}

function parseForwardReply(body: unknown, ringEpoch: number): WriteResult {
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
    sloppy: b.sloppy !== false || ringEpochDiffers(b, ringEpoch),
  };
}

export function encodeForwardReply(result: WriteResult, ringEpoch: number): CoordPutReply {
  return {
    ctx: encodeContext(result.context),
    rec: recordToWire(result.record),
    dot: [result.dot.actor, result.dot.counter],
    sloppy: result.sloppy,
    e: ringEpoch,
  };
}
