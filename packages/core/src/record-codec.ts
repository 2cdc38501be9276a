/**
 * Stored and replicated records as bytes. Records arrive from other nodes and
 * from disk, so decoding validates every field and re-checks the record's
 * invariants: a bad record is rejected here, never merged into good data.
 */
import { Packr } from 'msgpackr';
import type { Dot } from './dots.js';
import { canonicalActor, dotsFromWire, dotsToWire, isValidActor, isValidCounter } from './dots.js';
import type { DotsWire } from './dots.js';
import { MsgpackWriter } from './msgpack-writer.js';
import type { KvRecord, Sibling } from './record.js';
import { InvariantViolation, assertRecordInvariants, contentTypeLengthMax, isValidExpiry } from './record.js';

/**
 * Bumped whenever the wire shape changes incompatibly; decoders reject
 * versions they do not know. The optional 6th sibling field (expiresAt) did
 * not bump it: every record written before it still decodes unchanged, and a
 * record without a TTL is still encoded with 5 fields.
 */
export const recordFormatVersion = 1;

export class RecordFormatError extends Error {
  readonly code = 'RECORD_FORMAT';
  override readonly name = 'RecordFormatError';
}

/** [actor, counter, value or null for a tombstone, contentType, writtenAt, expiresAt (only when set)] */
export type SiblingWire =
  | readonly [string, number, Uint8Array | null, string, number]
  | readonly [string, number, Uint8Array | null, string, number, number];
/** [history, siblings] */
export type RecordWire = readonly [DotsWire, readonly SiblingWire[]];

// Plain msgpack only: no record structures or extension types, so no decoder
// state survives between calls and garbage cannot instantiate anything.
const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false });
// Encoding writes the same bytes msgpackr would for [version, recordToWire(rec)], faster (msgpack-writer.ts).
const writer = new MsgpackWriter();

function fail(why: string): never {
  throw new RecordFormatError(`invalid record: ${why}`);
}

export function recordToWire(rec: KvRecord): RecordWire {
  return [
    dotsToWire(rec.history),
    rec.siblings.map((s): SiblingWire =>
      s.expiresAt === undefined
        ? [s.dot.actor, s.dot.counter, s.value, s.contentType, s.writtenAt]
        : [s.dot.actor, s.dot.counter, s.value, s.contentType, s.writtenAt, s.expiresAt],
    ),
  ];
}

export function recordFromWire(x: unknown): KvRecord {
  if (!Array.isArray(x) || x.length !== 2) fail('expected [history, siblings]');
  const [historyWire, siblingsWire] = x as readonly unknown[];
  const history = dotsFromWire(historyWire, (why) => fail(`history: ${why}`));
  if (!Array.isArray(siblingsWire)) fail('siblings must be an array');
  const siblings = (siblingsWire as readonly unknown[]).map(siblingFromWire);
  const rec: KvRecord = { history, siblings };
  try {
    assertRecordInvariants(rec);
  } catch (e) {
    if (e instanceof InvariantViolation) fail(e.message);
    throw e;
  }
  return rec;
}

function siblingFromWire(x: unknown, i: number): Sibling {
  if (!Array.isArray(x) || (x.length !== 5 && x.length !== 6)) fail(`sibling ${i}: expected [actor, counter, value, contentType, writtenAt, expiresAt?]`);
  const [actor, counter, value, contentType, writtenAt, expiresAt] = x as readonly unknown[];
  if (!isValidActor(actor)) fail(`sibling ${i}: bad actor`);
  if (!isValidCounter(counter)) fail(`sibling ${i}: counter must be a positive safe integer`);
  if (value !== null && !(value instanceof Uint8Array)) fail(`sibling ${i}: value must be bytes or null`);
  if (typeof contentType !== 'string' || contentType.length > contentTypeLengthMax) {
    fail(`sibling ${i}: contentType must be a string of at most ${contentTypeLengthMax} chars`);
  }
  if (typeof writtenAt !== 'number' || !Number.isSafeInteger(writtenAt) || writtenAt < 0) {
    fail(`sibling ${i}: writtenAt must be a non-negative integer`);
  }
  if (x.length === 6 && !isValidExpiry(expiresAt, writtenAt)) fail(`sibling ${i}: expiresAt must be an integer of ms after writtenAt`);
  const dot: Dot = { actor: canonicalActor(actor), counter };
  return x.length === 6 ? { dot, value, contentType, writtenAt, expiresAt: expiresAt as number } : { dot, value, contentType, writtenAt };
}

export function encodeRecord(rec: KvRecord): Uint8Array {
  // the encoding side asserts too, so a broken record fails where it was made
  assertRecordInvariants(rec);
  writer.reset();
  writer.value([recordFormatVersion, recordToWire(rec)]);
  // a copy out of the shared scratch buffer: callers keep these bytes (LevelDB, queues)
  return writer.finish();
}

export function decodeRecord(bytes: Uint8Array): KvRecord {
  let decoded: unknown;
  try {
    decoded = packr.unpack(bytes);
  } catch (e) {
    fail(`not msgpack (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) fail('expected [version, record]');
  const [version, wire] = decoded as readonly unknown[];
  if (version !== recordFormatVersion) fail(`unknown format version ${typeof version === 'number' ? version : typeof version}`);
  return recordFromWire(wire);
}
