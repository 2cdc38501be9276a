/**
 * Conditional writes (If-Match / If-None-Match) as optimistic locking
 * against a quorum read. The coordinator reads the key at R, compares the
 * ETag of what is live, and if the condition holds writes with the read's
 * context, so the new version supersedes exactly the versions that were
 * matched (and whatever they had superseded).
 *
 * This is not a linearizable compare-and-set: two coordinators may both pass
 * the check before either write lands. Then both writes are kept, as
 * siblings (neither context covers the other's new version): nothing is lost
 * and the next reader sees the conflict. Under the LWW policy the older of
 * the two is dropped instead — that policy's trade-off, not this module's.
 */
import {
  RingkvError,
  decodeContext,
  dotsUnion,
  emptyDots,
  encodeContext,
  etagMatches,
  etagOf,
  readContext,
  type EtagCondition,
} from '@ringkv/core';
import type { Coordinator, WriteRequest, WriteResult } from './coordinator.js';

export interface WriteConditions {
  /** If-Match: write only if the live versions' ETag is one of these (`*`: if any value is live) */
  readonly ifMatch?: EtagCondition;
  /** If-None-Match: `*` creates only if no value is live (absent, deleted or expired); tags: write only if none matches */
  readonly ifNoneMatch?: EtagCondition;
  /** replies the check reads from (the cluster's R by default) */
  readonly r: number;
}

/**
 * Checks the conditions against a quorum read and writes if they hold;
 * throws PRECONDITION_FAILED (with the current ETag in `details.etag`, null
 * when nothing is live) if not. Without conditions it is a plain write.
 */
export async function conditionalWrite(
  coordinator: Pick<Coordinator, 'get' | 'write'>,
  now: () => number,
  req: WriteRequest,
  cond: WriteConditions,
): Promise<WriteResult> {
  if (cond.ifMatch === undefined && cond.ifNoneMatch === undefined) return coordinator.write(req);
  const { record } = await coordinator.get({ key: req.key, r: cond.r, pr: 0 });
  const current = etagOf(record, now());
  if (cond.ifMatch !== undefined && !etagMatches(cond.ifMatch, current)) {
    throw preconditionFailed(current, current === undefined ? 'If-Match: no value is stored under this key' : `If-Match: the current ETag is ${current}`);
  }
  if (cond.ifNoneMatch !== undefined && (cond.ifNoneMatch.any ? current !== undefined : etagMatches(cond.ifNoneMatch, current))) {
    throw preconditionFailed(current, `If-None-Match: a value is stored under this key (ETag ${String(current)})`);
  }
  // The read's context covers what was matched; the client's own X-Context, if any, still counts.
  const client = req.context === '' ? emptyDots() : decodeContext(req.context);
  const context = record === undefined ? client : dotsUnion(client, readContext(record));
  return coordinator.write({ ...req, context: encodeContext(context) });
}

function preconditionFailed(current: string | undefined, message: string): RingkvError {
  return new RingkvError('PRECONDITION_FAILED', message, { etag: current ?? null });
}
