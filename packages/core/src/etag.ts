/**
 * Entity tags of stored values, for conditional writes (If-Match,
 * If-None-Match). An ETag names the set of live versions a reader saw: the
 * dots of the live siblings, which identify their values (one dot, one
 * version). Two readers who saw the same versions get the same tag from any
 * node; any new version, delete or expiry changes it.
 */
import { hash } from 'node:crypto';
import type { KvRecord, Sibling } from './record.js';
import { compareDots } from './record.js';
import { liveAt } from './expiry.js';

/** The quoted ETag of what is live at `now`, or undefined when nothing is (absent, deleted, expired). */
export function etagOf(rec: KvRecord | undefined, now: number): string | undefined {
  return rec === undefined ? undefined : etagOfLive(liveAt(rec, now));
}

/** The same tag from the live siblings a caller already has (`liveAt`'s result, in any order; not reordered). */
export function etagOfLive(live: readonly Sibling[]): string | undefined {
  if (live.length === 0) return undefined;
  const ordered = live.length === 1 ? live : [...live].sort((a, b) => compareDots(a.dot, b.dot));
  // MD5 (as for key hashing) for spread, not secrecy; 64 bits make an accidental match across versions negligible.
  let text = '';
  for (const s of ordered) text += `${s.dot.actor}\u0000${s.dot.counter}\n`;
  return `"${hash('md5', text, 'hex').slice(0, 16)}"`;
}

/** An If-Match / If-None-Match header: `*`, or the list of entity tags it names. */
export type EtagCondition = { readonly any: true } | { readonly any: false; readonly tags: readonly string[] };

const tagPattern = /^(W\/)?"[\x21\x23-\x7e]*"$/;

/** Parses a header; undefined when it is not `*` nor a comma-separated list of quoted tags. */
export function parseEtagCondition(header: string): EtagCondition | undefined {
  const text = header.trim();
  if (text === '*') return { any: true };
  const tags = text.split(',').map((t) => t.trim());
  if (tags.length === 0 || tags.length > 64 || !tags.every((t) => tagPattern.test(t))) return undefined;
  return { any: false, tags };
}

/**
 * Whether the current tag satisfies the condition, by strong comparison (RFC
 * 9110 §13.1.1: weak tags never match If-Match). `*` matches any live value.
 */
export function etagMatches(cond: EtagCondition, current: string | undefined): boolean {
  if (current === undefined) return false;
  return cond.any || cond.tags.includes(current);
}
