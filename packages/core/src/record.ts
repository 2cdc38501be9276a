/**
 * The sibling set stored per key: a dotted causal container. `history` is every
 * dot this replica has seen for the key; `siblings` are the versions no seen
 * write has superseded, each with its own dot. Unlike a DVVSet, each sibling
 * keeps an explicit dot, so a client context may cover any subset of dots, not
 * only a prefix per actor — that is what lets two clients who keep writing with
 * their own last context hold exactly two siblings forever.
 */
import type { Dot, Dots } from './dots.js';
import {
  compareActors,
  dotsAdd,
  dotsEqual,
  dotsHas,
  dotsMaxCounter,
  dotsRemove,
  dotsUnion,
  emptyDots,
  isValidActor,
} from './dots.js';

export interface Sibling {
  readonly dot: Dot;
  readonly value: Uint8Array | null; // null = tombstone (a delete)
  readonly contentType: string;
  readonly writtenAt: number; // coordinator wall clock ms: informational, and the order of an LWW key's versions
  /**
   * Coordinator wall clock ms from which this version is no longer live
   * (PUT ?ttl). Part of the version, like the value: one dot, one deadline,
   * so no replication path can lengthen or revive it (see expiry.ts).
   */
  readonly expiresAt?: number;
}

export interface KvRecord {
  readonly history: Dots; // every dot this replica has seen for this key (superseded or live)
  readonly siblings: readonly Sibling[]; // live versions, sorted by (actor, counter); every sibling.dot ∈ history
}

/** Longest content type accepted; the HTTP layer should reject longer ones before writing. */
export const contentTypeLengthMax = 256;

/** A replica state that must never exist. Fail loudly: storing it would lose or invent data. */
export class InvariantViolation extends Error {
  readonly code = 'INVARIANT_VIOLATION';
  override readonly name = 'InvariantViolation';
}

export function compareDots(a: Dot, b: Dot): number {
  return compareActors(a.actor, b.actor) || a.counter - b.counter;
}

export function emptyRecord(): KvRecord {
  return { history: emptyDots(), siblings: [] };
}

export function siblingDots(rec: KvRecord): Dot[] {
  return rec.siblings.map((s) => s.dot);
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  // A plain loop: Uint8Array.every with a closure costs a call per byte on every merge.
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One dot is one write event; two different versions under one dot mean an actor reused a counter. */
function assertSameVersion(x: Sibling, y: Sibling): void {
  if (sameBytes(x.value, y.value) && x.contentType === y.contentType && x.writtenAt === y.writtenAt && x.expiresAt === y.expiresAt) return;
  throw new InvariantViolation(
    `two different versions share dot (${x.dot.actor}, ${x.dot.counter}): ` +
      'an actor reused a counter (store restored without a new epoch?)',
  );
}

/**
 * The join. A sibling survives unless the other side has seen its dot and
 * superseded it (has it in history but not among its siblings).
 */
export function mergeRecords(a: KvRecord, b: KvRecord): KvRecord {
  // Merging is idempotent and records are never mutated: a GET whose replicas answered the same
  // bytes holds one decoded record twice (replica-client reuses it), so this is its usual case.
  if (a === b) return a;
  const siblings: Sibling[] = [];
  let i = 0;
  let j = 0;
  // both lists are sorted by dot, so one merge-walk finds the shared dots
  while (i < a.siblings.length || j < b.siblings.length) {
    const x = a.siblings[i];
    const y = b.siblings[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareDots(x.dot, y.dot);
    if (order === 0 && x !== undefined && y !== undefined) {
      assertSameVersion(x, y);
      siblings.push(x);
      i++;
      j++;
    } else if (order < 0 && x !== undefined) {
      if (!dotsHas(b.history, x.dot)) siblings.push(x);
      i++;
    } else if (y !== undefined) {
      if (!dotsHas(a.history, y.dot)) siblings.push(y);
      j++;
    }
  }
  const merged: KvRecord = { history: dotsUnion(a.history, b.history), siblings };
  assertRecordInvariants(merged);
  return merged;
}

export interface WriteRequest {
  /** the coordinating replica's actor (node id + store epoch) */
  readonly actor: string;
  /** what the client has seen; empty = concurrent with everything */
  readonly context: Dots;
  readonly value: Uint8Array | null;
  readonly contentType: string;
  readonly writtenAt: number;
  /** when the new version stops being live (coordinator clock ms, after writtenAt); absent = never */
  readonly expiresAt?: number;
  /**
   * The highest counter this actor may ever have used for a record the
   * replica no longer holds (a delivered hint, a handed-off partition, a
   * collected tombstone): new dots are numbered above it, so forgetting a
   * record can never lead to reusing one of its dots.
   */
  readonly counterFloor?: number;
}

export interface WriteResult {
  readonly record: KvRecord;
  /** the context the writer should send with its next write of this key */
  readonly context: Dots;
  /** the new version's dot */
  readonly dot: Dot;
  /**
   * The write alone: the new version, with the writer's context and its dot
   * as history (everything it supersedes). `record` is exactly
   * merge(held record, delta), so merging the delta into any replica does
   * what merging `record` would, except repairing versions that replica
   * lacks (read repair and anti-entropy do that). Replication sends it: one
   * version instead of every sibling the key holds.
   */
  readonly delta: KvRecord;
}

function assertWriteRequest(w: WriteRequest): void {
  if (!isValidActor(w.actor)) throw new RangeError(`invalid actor ${JSON.stringify(w.actor)}`);
  if (typeof w.contentType !== 'string' || w.contentType.length > contentTypeLengthMax) {
    throw new RangeError(`content type must be a string of at most ${contentTypeLengthMax} chars`);
  }
  if (!Number.isSafeInteger(w.writtenAt) || w.writtenAt < 0) {
    throw new RangeError(`writtenAt must be a non-negative integer of ms, got ${String(w.writtenAt)}`);
  }
  if (w.expiresAt !== undefined && !isValidExpiry(w.expiresAt, w.writtenAt)) {
    throw new RangeError(`expiresAt must be an integer of ms after writtenAt ${w.writtenAt}, got ${String(w.expiresAt)}`);
  }
}

/** A deadline is a safe integer of ms strictly after the write (a TTL is at least one second). */
export function isValidExpiry(expiresAt: unknown, writtenAt: number): expiresAt is number {
  return typeof expiresAt === 'number' && Number.isSafeInteger(expiresAt) && expiresAt > writtenAt;
}

/** What the coordinating replica does for a client PUT or DELETE. */
export function applyWrite(current: KvRecord | undefined, w: WriteRequest): WriteResult {
  assertWriteRequest(w);
  const base = current ?? emptyRecord();
  const kept = base.siblings.filter((s) => !dotsHas(w.context, s.dot));
  // the context joins the history even for dots this replica has not received
  // yet, so those versions are recognised as superseded when they arrive
  const seen = dotsUnion(base.history, w.context);
  const counter = Math.max(dotsMaxCounter(seen, w.actor), w.counterFloor ?? 0) + 1;
  if (!Number.isSafeInteger(counter)) {
    throw new RangeError(`counter space of actor ${w.actor} exhausted for this key (context claims counter ${counter - 1})`);
  }
  const dot: Dot = { actor: w.actor, counter };
  const sibling: Sibling = {
    dot,
    value: w.value,
    contentType: w.contentType,
    writtenAt: w.writtenAt,
    ...(w.expiresAt !== undefined && { expiresAt: w.expiresAt }),
  };
  const record: KvRecord = {
    history: dotsAdd(seen, dot),
    siblings: [...kept, sibling].sort((x, y) => compareDots(x.dot, y.dot)),
  };
  assertRecordInvariants(record);
  // The writer has seen everything except the siblings it did not cover. Leaving
  // those out (instead of returning the whole history) is what stops a client that
  // writes with its own last context from superseding a concurrent writer.
  const context = dotsRemove(record.history, kept.map((s) => s.dot));
  return { record, context, dot, delta: { history: dotsAdd(w.context, dot), siblings: [sibling] } };
}

/** A reader's context covers every sibling it saw — and everything they superseded. */
export function readContext(rec: KvRecord): Dots {
  return rec.history;
}

export function liveSiblings(rec: KvRecord): Sibling[] {
  return rec.siblings.filter((s) => s.value !== null);
}

/** No live version: absent, or only tombstones. */
export function isDeleted(rec: KvRecord): boolean {
  return rec.siblings.every((s) => s.value === null);
}

/** Same causal state. Versions under one dot are equal by invariant, so dots suffice. */
export function recordEquals(a: KvRecord, b: KvRecord): boolean {
  if (a.siblings.length !== b.siblings.length) return false;
  if (!a.siblings.every((s, i) => compareDots(s.dot, (b.siblings[i] as Sibling).dot) === 0)) return false;
  return dotsEqual(a.history, b.history);
}

/** True when `a` already knows everything `b` knows, so sending `a` to b's holder is the repair. */
export function recordCovers(a: KvRecord, b: KvRecord): boolean {
  return recordEquals(mergeRecords(a, b), a);
}

export function assertRecordInvariants(rec: KvRecord): void {
  let previous: Sibling | undefined;
  for (const s of rec.siblings) {
    if (!dotsHas(rec.history, s.dot)) {
      throw new InvariantViolation(`sibling (${s.dot.actor}, ${s.dot.counter}) is not in the record's history`);
    }
    if (previous !== undefined && compareDots(previous.dot, s.dot) >= 0) {
      throw new InvariantViolation(
        `siblings out of order or duplicated at (${s.dot.actor}, ${s.dot.counter}): must be sorted by (actor, counter)`,
      );
    }
    previous = s;
  }
}
