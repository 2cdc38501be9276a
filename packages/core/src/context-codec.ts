/**
 * The client context (HTTP header `X-Context`): opaque to clients, a Dots to
 * us. It comes straight from the network, so decoding is strict and bounded:
 * one canonical encoding per context, and limits on size before any work.
 */
import { Packr } from 'msgpackr';
import type { Dots } from './dots.js';
import { dotsActors, dotsFromWire, dotsGapCount, dotsToWire } from './dots.js';
import { MsgpackWriter } from './msgpack-writer.js';
import { RingkvError } from './errors.js';

/** Bumped whenever the wire shape changes; old contexts are then rejected, not misread. */
export const contextFormatVersion = 1;

export interface ContextLimits {
  /** longest accepted header value, in encoded characters (default 8192) */
  readonly maxBytes?: number;
  /** most actors a context may name (default 1024) */
  readonly maxActors?: number;
  /** most gap ranges over all actors (default 4096) */
  readonly maxGaps?: number;
}

export const defaultContextLimits: Required<ContextLimits> = { maxBytes: 8192, maxActors: 1024, maxGaps: 4096 };

/** A client's fault, so it carries the catalogue code the HTTP layer answers with (400). */
export class ContextFormatError extends RingkvError {
  constructor(message: string) {
    super('CONTEXT_INVALID', message);
    this.name = 'ContextFormatError';
  }
}

// Plain msgpack only, as for records: no structures, no extension types.
const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false });
// Encoding writes the same bytes msgpackr would, faster (msgpack-writer.ts): every GET and PUT answers a context.
const writer = new MsgpackWriter();

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function fail(why: string): never {
  throw new ContextFormatError(`invalid context: ${why}`);
}

export function encodeContext(d: Dots): string {
  writer.reset();
  writer.value([contextFormatVersion, dotsToWire(d)]);
  return writer.finishAs('base64url');
}

/** Node's decoder skips bad characters and ignores stray bits; we accept only what we would emit. */
function base64urlToBytes(s: string): Uint8Array {
  if (!BASE64URL.test(s) || s.length % 4 === 1) fail('not base64url without padding');
  const bytes = Buffer.from(s, 'base64url');
  if (bytes.toString('base64url') !== s) fail('not canonical base64url');
  return bytes;
}

export function decodeContext(s: string, limits: ContextLimits = {}): Dots {
  const { maxBytes, maxActors, maxGaps } = { ...defaultContextLimits, ...limits };
  if (typeof s !== 'string' || s.length === 0) fail('empty (omit the header to write without a context)');
  if (s.length > maxBytes) fail(`longer than ${maxBytes} characters`);
  let decoded: unknown;
  try {
    decoded = packr.unpack(base64urlToBytes(s));
  } catch (e) {
    if (e instanceof ContextFormatError) throw e;
    fail('not a context (bad msgpack)');
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) fail('expected [version, dots]');
  const [version, wire] = decoded as readonly unknown[];
  if (version !== contextFormatVersion) fail(`unknown format version ${typeof version === 'number' ? version : typeof version}`);
  const d = dotsFromWire(wire, fail);
  if (dotsActors(d).length > maxActors) fail(`more than ${maxActors} actors`);
  if (dotsGapCount(d) > maxGaps) fail(`more than ${maxGaps} gaps`);
  return d;
}
