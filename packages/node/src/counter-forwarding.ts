/**
 * Hands a counter increment to a node that holds the key, as write-forwarding
 * does for writes — with the same rule: only an unreachable node (the request
 * never left) or one whose disk is full (it stored nothing) is skipped, since
 * after a timeout the increment may have been applied and a retry elsewhere
 * would count it twice. The receiver dedupes by request id, so a message
 * delivered twice is applied once.
 */
import { RingkvError, TransportError, type ReplicaTarget } from '@ringkv/core';
import type { IncrementRequest, IncrementResult } from './counter-increment.js';
import type { ReplicaClient } from './replica-client.js';
import type { CoordIncrBody } from './rpc-ops.js';
import { refusedByStore, ringEpochDiffers } from './write-forwarding.js';

/** The body a coord.incr handler answers: the result, or the coordinator's error. */
export type CoordIncrReply =
  | { readonly v: number; readonly we: number | null; readonly sloppy: boolean; readonly e?: number }
  | { readonly err: { readonly code: string; readonly message: string; readonly details: Record<string, unknown> } };

/** Error codes a forwarded increment may report as they are; anything else is UNAVAILABLE. */
const passedOn = new Set(['QUORUM_NOT_MET', 'BAD_REQUEST']);

export async function forwardIncrement(
  peers: ReplicaClient,
  targets: readonly ReplicaTarget[],
  req: IncrementRequest,
  rid: string,
  timeoutMs: number,
  ringEpoch: () => number,
): Promise<IncrementResult> {
  const body: CoordIncrBody = {
    k: req.key,
    d: req.delta,
    w: req.w,
    pw: req.pw,
    rid,
    ...(req.dw !== undefined && req.dw > 0 && { dw: req.dw }),
    ...(req.ttlMs !== undefined && { ttl: req.ttlMs }),
  };
  let full: RingkvError | undefined;
  for (const t of targets) {
    let reply: unknown;
    try {
      reply = await peers.coordIncrement(t.node, body, timeoutMs);
    } catch (err) {
      if (err instanceof TransportError && err.code === 'UNREACHABLE') continue;
      throw new RingkvError('UNAVAILABLE', `forwarding the increment to ${t.node} failed: ${(err as Error).message}`);
    }
    // A full disk stored nothing of it: the next replica may apply it, still exactly once.
    full = refusedByStore(reply, t.node);
    if (full === undefined) return parseIncrementReply(reply, ringEpoch());
  }
  throw full ?? new RingkvError('UNAVAILABLE', 'no replica of this counter could be reached to coordinate the increment');
}

/** `ringEpoch`: the forwarder's, see ringEpochDiffers. */
export function parseIncrementReply(body: unknown, ringEpoch: number): IncrementResult {
  const b = body as Record<string, unknown> | null;
  if (b !== null && typeof b === 'object' && typeof b.err === 'object' && b.err !== null) {
    const e = b.err as Record<string, unknown>;
    const code = typeof e.code === 'string' && passedOn.has(e.code) ? (e.code as 'QUORUM_NOT_MET' | 'BAD_REQUEST') : 'UNAVAILABLE';
    const details = typeof e.details === 'object' && e.details !== null ? (e.details as Record<string, unknown>) : {};
    throw new RingkvError(code, String(e.message), details);
  }
  const windowEnd = b?.we;
  if (
    b === null ||
    typeof b !== 'object' ||
    typeof b.v !== 'number' ||
    !Number.isSafeInteger(b.v) ||
    !(windowEnd === null || (typeof windowEnd === 'number' && Number.isSafeInteger(windowEnd)))
  ) {
    throw new RingkvError('UNAVAILABLE', 'malformed reply to a forwarded increment');
  }
  return { value: b.v, windowEnd, sloppy: b.sloppy !== false || ringEpochDiffers(b, ringEpoch) };
}

export function encodeIncrementReply(result: IncrementResult, ringEpoch: number): CoordIncrReply {
  return { v: result.value, we: result.windowEnd, sloppy: result.sloppy, e: ringEpoch };
}
