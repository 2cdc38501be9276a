/**
 * A PN-counter CRDT with an optional expiry window, for counters and rate-limit
 * buckets. Every replica that coordinates an increment owns an *entry*: two
 * grow-only totals (p for additions, n for subtractions) that only it raises;
 * the value is Σp − Σn, and the join takes each entry's pointwise maximum.
 *
 * Why entries are (actor, since) and not just actor: an actor may raise its
 * entry only from that entry's latest version, or the maximum in the join
 * would swallow an increment. A replica cannot always prove it holds its own
 * latest version (a hinted copy was handed over and forgotten, a partition was
 * dropped). The record's dots can prove it: each increment gets a dot of the
 * coordinating actor, numbered above every dot that actor ever used for the key,
 * and an entry remembers the dot of its last raise (`last`). When the new dot is
 * exactly `last + 1`, no raise of that entry can exist anywhere that this state
 * lacks; otherwise the actor opens a fresh entry whose `since` is the new dot —
 * a name no other state can hold.
 *
 * Windows: the first increment of a window fixes `windowEnd = now + ttl`; from
 * windowEnd on the counter reads 0 and the next increment starts a new window.
 * In the join the later window wins and an older one is discarded whole; no
 * window (`null`, a plain counter) counts as later than every window, because a
 * plain increment after a window ended must win over that window.
 *
 * Pure: time comes in as `now` (ms), dots from the caller.
 */
import { Packr } from 'msgpackr';
import { actorLengthMax, compareActors, isValidActor, isValidCounter } from './dots.js';
import { RingkvError } from './errors.js';

export interface PnEntry {
  readonly actor: string;
  /** the dot counter of the increment that opened this entry: with the actor, its name */
  readonly since: number;
  /** the dot counter of this entry's latest raise */
  readonly last: number;
  /** total of the positive deltas */
  readonly p: number;
  /** total of the negative deltas, as a positive number */
  readonly n: number;
}

export interface PnCounter {
  /** wall-clock ms from which the counter reads 0; null = a plain counter that never expires */
  readonly windowEnd: number | null;
  /** sorted by (actor, since), unique, never empty */
  readonly entries: readonly PnEntry[];
}

export interface Increment {
  /** the coordinating replica's actor */
  readonly actor: string;
  /** the dot counter the write carrying this increment gets (above every dot of the actor for the key) */
  readonly dot: number;
  readonly delta: number;
  /** coordinator wall clock, ms */
  readonly now: number;
  /** window length in ms when the increment may start a window; undefined = a plain counter */
  readonly ttlMs?: number | undefined;
}

/** The content type of a sibling whose value is an encoded PnCounter. */
export const pnCounterContentType = 'application/x-ringkv-pncounter';
/** The largest |delta| one increment may carry. */
export const counterDeltaAbsMax = 1_000_000_000_000;
/** An encoded state with more entries than this is refused (a live counter opens one per coordinator break). */
export const pnEntryCountMax = 65_536;

export class PnCounterFormatError extends Error {
  readonly code = 'PN_COUNTER_FORMAT';
  override readonly name = 'PnCounterFormatError';
}

function compareEntries(a: PnEntry, b: PnEntry): number {
  return compareActors(a.actor, b.actor) || a.since - b.since;
}

/** null (no window) ranks above every window end. */
function compareWindows(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a - b;
}

/** The least upper bound; `undefined` is the empty counter (no increment yet). */
export function joinPn(a: PnCounter | undefined, b: PnCounter | undefined): PnCounter | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const order = compareWindows(a.windowEnd, b.windowEnd);
  if (order !== 0) return order > 0 ? a : b;
  const entries: PnEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.entries.length || j < b.entries.length) {
    const x = a.entries[i];
    const y = b.entries[j];
    const c = x === undefined ? 1 : y === undefined ? -1 : compareEntries(x, y);
    if (c === 0 && x !== undefined && y !== undefined) {
      entries.push({ actor: x.actor, since: x.since, last: Math.max(x.last, y.last), p: Math.max(x.p, y.p), n: Math.max(x.n, y.n) });
      i++;
      j++;
    } else if (c < 0 && x !== undefined) {
      entries.push(x);
      i++;
    } else if (y !== undefined) {
      entries.push(y);
      j++;
    }
  }
  return { windowEnd: a.windowEnd, entries };
}

export function joinAllPn(states: Iterable<PnCounter | undefined>): PnCounter | undefined {
  let out: PnCounter | undefined;
  for (const s of states) out = joinPn(out, s);
  return out;
}

/** The window has ended at `now` (a plain counter never ends). */
export function pnExpired(s: PnCounter, now: number): boolean {
  return s.windowEnd !== null && s.windowEnd <= now;
}

/** The count at `now`: Σp − Σn, or 0 once the window ended. */
export function pnValue(s: PnCounter | undefined, now: number): number {
  if (s === undefined || pnExpired(s, now)) return 0;
  let total = 0;
  for (const e of s.entries) total += e.p - e.n;
  return total;
}

/**
 * Applies one increment to the joined state the coordinator holds. Starts a
 * new window when there is none running (ttl given) or the running one ended;
 * a ttl is ignored while a window or a plain counter is live — the first
 * increment of a window decides its end.
 */
export function incrementPn(s: PnCounter | undefined, inc: Increment): PnCounter {
  assertIncrement(inc);
  const live = s !== undefined && !pnExpired(s, inc.now) ? s : undefined;
  const windowEnd = live !== undefined ? live.windowEnd : inc.ttlMs === undefined ? null : inc.now + inc.ttlMs;
  const entries = live === undefined ? [] : [...live.entries];
  const up = Math.max(inc.delta, 0);
  const down = Math.max(-inc.delta, 0);
  const k = entries.findIndex((e) => e.actor === inc.actor && e.last === inc.dot - 1);
  const before = entries[k];
  if (before !== undefined) {
    entries[k] = { ...before, last: inc.dot, p: before.p + up, n: before.n + down };
  } else {
    entries.push({ actor: inc.actor, since: inc.dot, last: inc.dot, p: up, n: down });
    entries.sort(compareEntries);
  }
  let sumP = 0;
  let sumN = 0;
  for (const e of entries) {
    sumP += e.p;
    sumN += e.n;
  }
  if (!Number.isSafeInteger(sumP) || !Number.isSafeInteger(sumN)) {
    throw new RingkvError('BAD_REQUEST', `the counter's totals would leave the safe integer range (±${Number.MAX_SAFE_INTEGER})`);
  }
  if (entries.length > pnEntryCountMax) {
    throw new RingkvError('BAD_REQUEST', `the counter has ${entries.length} replica entries, more than ${pnEntryCountMax}`);
  }
  return { windowEnd, entries };
}

function assertIncrement(inc: Increment): void {
  if (!isValidActor(inc.actor)) throw new RangeError(`invalid actor ${JSON.stringify(inc.actor)}`);
  if (!isValidCounter(inc.dot)) throw new RangeError(`dot must be a positive safe integer, got ${String(inc.dot)}`);
  if (!Number.isSafeInteger(inc.delta) || Math.abs(inc.delta) > counterDeltaAbsMax) {
    throw new RangeError(`delta must be an integer of at most ±${counterDeltaAbsMax}, got ${String(inc.delta)}`);
  }
  if (!Number.isSafeInteger(inc.now) || inc.now < 0) throw new RangeError(`now must be a non-negative integer of ms, got ${String(inc.now)}`);
  if (inc.ttlMs !== undefined && (!Number.isSafeInteger(inc.ttlMs) || inc.ttlMs < 1 || !Number.isSafeInteger(inc.now + inc.ttlMs))) {
    throw new RangeError(`ttlMs must be a positive integer, got ${String(inc.ttlMs)}`);
  }
}

// ---- bytes ----------------------------------------------------------------

/** Bumped when the wire shape changes; decoders refuse versions they do not know. */
export const pnCounterFormatVersion = 1;

/** [actor, since, last, p, n] */
type PnEntryWire = readonly [string, number, number, number, number];

// Plain msgpack, as for records: no structures or extensions survive between calls.
const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false });

function fail(why: string): never {
  throw new PnCounterFormatError(`invalid counter state: ${why}`);
}

export function encodePn(s: PnCounter): Uint8Array {
  assertPnInvariants(s);
  const entries = s.entries.map((e): PnEntryWire => [e.actor, e.since, e.last, e.p, e.n]);
  return new Uint8Array(packr.pack([pnCounterFormatVersion, s.windowEnd, entries]));
}

/** Decodes untrusted bytes; anything but a sound state throws PnCounterFormatError. */
export function decodePn(bytes: Uint8Array): PnCounter {
  let x: unknown;
  try {
    x = packr.unpack(bytes);
  } catch (e) {
    fail(`not msgpack (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!Array.isArray(x) || x.length !== 3) fail('expected [version, windowEnd, entries]');
  const [version, windowEnd, wire] = x as readonly unknown[];
  if (version !== pnCounterFormatVersion) fail(`unknown format version ${typeof version === 'number' ? version : typeof version}`);
  if (windowEnd !== null && !(typeof windowEnd === 'number' && Number.isSafeInteger(windowEnd) && windowEnd > 0)) {
    fail('windowEnd must be null or a positive integer of ms');
  }
  if (!Array.isArray(wire) || wire.length === 0 || wire.length > pnEntryCountMax) fail(`entries must be an array of 1..${pnEntryCountMax}`);
  const entries = (wire as readonly unknown[]).map(entryFromWire);
  const s: PnCounter = { windowEnd, entries };
  try {
    assertPnInvariants(s);
  } catch (e) {
    fail((e as Error).message);
  }
  return s;
}

const isTotal = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

function entryFromWire(x: unknown, i: number): PnEntry {
  if (!Array.isArray(x) || x.length !== 5) fail(`entry ${i}: expected [actor, since, last, p, n]`);
  const [actor, since, last, p, n] = x as readonly unknown[];
  if (!isValidActor(actor)) fail(`entry ${i}: actor must be a string of 1..${actorLengthMax} chars`);
  if (!isValidCounter(since) || !isValidCounter(last)) fail(`entry ${i}: since and last must be positive safe integers`);
  if (!isTotal(p) || !isTotal(n)) fail(`entry ${i}: p and n must be non-negative safe integers`);
  return { actor, since, last, p, n };
}

/** What every state must satisfy, asserted on both sides of the wire. */
export function assertPnInvariants(s: PnCounter): void {
  if (s.entries.length === 0) throw new RangeError('a counter state has at least one entry');
  let previous: PnEntry | undefined;
  for (const e of s.entries) {
    if (e.last < e.since) throw new RangeError(`entry (${e.actor}, ${e.since}) was last raised at ${e.last}, before it was opened`);
    if (previous !== undefined && compareEntries(previous, e) >= 0) {
      throw new RangeError(`entries out of order or duplicated at (${e.actor}, ${e.since})`);
    }
    previous = e;
  }
}
