import { RingkvError } from './errors.js';

export const keyBytesMax = 1024;

const encoder = new TextEncoder();

/**
 * Validates a client key (already URL-decoded) and returns its UTF-8 bytes.
 * Lone surrogates cannot be encoded faithfully, so they are refused rather
 * than silently replaced (two different keys must never collide).
 */
export function encodeKey(key: string): Uint8Array {
  if (key.length === 0) throw new RingkvError('KEY_INVALID', 'the key is empty');
  if (!key.isWellFormed()) throw new RingkvError('KEY_INVALID', 'the key is not valid UTF-8');
  const bytes = encoder.encode(key);
  if (bytes.length > keyBytesMax) {
    throw new RingkvError('KEY_INVALID', `the key is ${bytes.length} bytes of UTF-8; the maximum is ${keyBytesMax}`);
  }
  return bytes;
}
