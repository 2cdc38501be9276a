/**
 * Counters live in the same replicated records as /kv values, under keys of
 * their own namespace: the client's UTF-8 key bytes behind a 0xFF byte. 0xFF
 * never occurs in UTF-8, so no /kv key (valid UTF-8 by encodeKey) can collide
 * with a counter, and every replication path (hints, anti-entropy, handoff)
 * carries counters without knowing about them.
 */
import { RingkvError } from './errors.js';
import { encodeKey, keyBytesMax } from './key.js';

export const counterKeyPrefix = 0xff;
/** One byte of the stored key is the prefix, so a counter's name may use one byte less than a /kv key. */
export const counterKeyBytesMax = keyBytesMax - 1;

/** Validates a client counter name (already URL-decoded) and returns the internal key. */
export function encodeCounterKey(name: string): Uint8Array {
  const bytes = encodeKey(name);
  if (bytes.length > counterKeyBytesMax) {
    throw new RingkvError('KEY_INVALID', `the counter key is ${bytes.length} bytes of UTF-8; the maximum is ${counterKeyBytesMax}`);
  }
  const out = new Uint8Array(bytes.length + 1);
  out[0] = counterKeyPrefix;
  out.set(bytes, 1);
  return out;
}

export function isCounterKey(key: Uint8Array): boolean {
  return key[0] === counterKeyPrefix;
}
