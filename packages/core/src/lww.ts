/**
 * The last-writer-wins conflict policy, for keys whose operator chose it
 * (caches, sessions): of concurrent versions only the one with the greatest
 * (writtenAt, dot) survives; the others are dropped silently. It is a rule
 * about merges, so it must be applied at every merge of such a key, on every
 * node — which is why it is configured per key prefix, cluster-wide, and not
 * per request.
 *
 * Resolving drops the losers from `siblings` but keeps their dots in
 * `history`, so the result is still an ordinary record: a later merge with a
 * replica that still holds a loser drops it too, and resolve∘merge stays a
 * join (commutative, associative, idempotent; see lww.test.ts).
 */
import { emptyDots } from './dots.js';
import type { KvRecord, Sibling, WriteRequest, WriteResult } from './record.js';
import { applyWrite, compareDots } from './record.js';

/** The LWW order: newer writtenAt wins; equal timestamps are settled by the dot, so every node picks the same one. */
export function compareLww(a: Sibling, b: Sibling): number {
  return a.writtenAt - b.writtenAt || compareDots(a.dot, b.dot);
}

/** Keeps only the newest sibling (tombstones included: a newer delete wins). */
export function resolveLww(rec: KvRecord): KvRecord {
  if (rec.siblings.length <= 1) return rec;
  let newest = rec.siblings[0] as Sibling;
  for (const s of rec.siblings) if (compareLww(s, newest) > 0) newest = s;
  return { history: rec.history, siblings: [newest] };
}

/**
 * An LWW key's write: it supersedes everything the coordinating replica has
 * seen, whatever context the client sent (a client cannot keep a sibling
 * alive by writing without one) — and only that: a client context naming
 * versions this replica has not received is ignored, because their
 * timestamps are unknown here. The new version is stamped later than every
 * version it supersedes (a Lamport-style bump over a lagging clock), so
 * "superseded" always agrees with the LWW order. Without both rules a merge
 * order could decide which version survives (resolve∘merge would not be
 * associative; lww.test.ts found such a case).
 */
export function applyLwwWrite(current: KvRecord | undefined, w: WriteRequest): WriteResult {
  const held = current?.siblings ?? [];
  const newestHeld = held.reduce((m, s) => Math.max(m, s.writtenAt + 1), 0);
  const writtenAt = Math.max(w.writtenAt, newestHeld);
  // a TTL keeps its length: the deadline moves with the bumped stamp
  const expiresAt = w.expiresAt === undefined ? undefined : w.expiresAt + (writtenAt - w.writtenAt);
  const result = applyWrite(current, { ...w, writtenAt, ...(expiresAt !== undefined && { expiresAt }), context: current?.history ?? emptyDots() });
  return { ...result, record: resolveLww(result.record) };
}

/** Key prefixes under the LWW policy, as bytes (keys are UTF-8 bytes on the wire and on disk). */
export class LwwPrefixes {
  private readonly prefixes: readonly Uint8Array[];

  constructor(readonly texts: readonly string[]) {
    this.prefixes = texts.map((t) => new TextEncoder().encode(t));
  }

  covers(key: Uint8Array): boolean {
    return this.prefixes.some((p) => p.length <= key.length && p.every((b, i) => key[i] === b));
  }
}
