/**
 * Expiry of versions written with a TTL. Whether a version is live depends on
 * a clock, and core has none: every function takes `now` (the judging node's
 * wall clock, ms). A version expires at its `expiresAt`, which its coordinator
 * set and which travels with its dot, unchanged, to every replica.
 *
 * Purging drops an expired sibling from `siblings` but keeps its dot in
 * `history`. To a merge that is exactly "superseded": a replica still holding
 * the expired sibling loses it in the next merge instead of handing it back,
 * and whatever it had superseded stays superseded. A record whose siblings
 * all went is then like a collected-to-be tombstone (no sibling at all), which
 * tombstone GC reaps once every replica holds it.
 */
import type { KvRecord, Sibling } from './record.js';

export function isExpired(s: Sibling, now: number): boolean {
  return s.expiresAt !== undefined && s.expiresAt <= now;
}

/** The values a reader sees at `now`: no tombstones, nothing expired. */
export function liveAt(rec: KvRecord, now: number): Sibling[] {
  return rec.siblings.filter((s) => s.value !== null && !isExpired(s, now));
}

/** No value is live at `now`: absent, deleted or expired. */
export function isAbsentAt(rec: KvRecord | undefined, now: number): boolean {
  return rec === undefined || liveAt(rec, now).length === 0;
}

/**
 * The record with the siblings expired at `now` removed (their dots stay in
 * history). Returns `rec` itself when nothing expired, so callers can tell
 * "unchanged" by identity.
 */
export function purgeExpired(rec: KvRecord, now: number): KvRecord {
  if (!rec.siblings.some((s) => isExpired(s, now))) return rec;
  return { history: rec.history, siblings: rec.siblings.filter((s) => !isExpired(s, now)) };
}

/** The distinct deadlines of a record's siblings, ascending (what the expiry index must hold for it). */
export function expiriesOf(rec: KvRecord): number[] {
  const out = new Set<number>();
  for (const s of rec.siblings) if (s.expiresAt !== undefined) out.add(s.expiresAt);
  return [...out].sort((a, b) => a - b);
}

/** The longest TTL a client may ask for: ten years, in seconds. */
export const ttlSecondsMax = 10 * 366 * 86_400;
