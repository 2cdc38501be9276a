import { createHash } from 'node:crypto';

/**
 * The shape of the values the chaos workload writes when the `corrupt` fault
 * must find them on disk. A bare id (`c3-17`) is short and alike across
 * records, so LevelDB's Snappy compression turns it into back-references: its
 * bytes are nowhere literally in a table file, and a bit flipped in compressed
 * bytes is LevelDB's own corruption (LEVEL_CORRUPTION), not ringkv's. A suffix
 * of hash characters (`c3-17~<32 base64url chars>`) has no 4-byte run Snappy
 * could match, so it is stored as a literal run and found as it is.
 *
 * The whole string is the value: the checker compares it byte for byte, so a
 * copy damaged anywhere — id or suffix — reads as a value no client wrote.
 * The suffix is derived from the id (not drawn from the run's random stream),
 * so a seed keeps the same plan with or without it.
 */

/** Separates the id from the suffix; base64url never uses it. */
const SEPARATOR = '~';
/** Characters in the suffix: 192 bits of hash, the needle looked for in table files. */
export const NEEDLE_LENGTH = 32;

/** `id~suffix`: still unique (the id is), and findable in a table file. */
export function findableValue(id: string): string {
  const suffix = createHash('sha256').update(id).digest('base64url').slice(0, NEEDLE_LENGTH);
  return `${id}${SEPARATOR}${suffix}`;
}

/** The bytes of a findable value to look for on disk; undefined for a value without a suffix. */
export function valueNeedle(value: string): Buffer | undefined {
  const at = value.lastIndexOf(SEPARATOR);
  if (at < 0 || value.length - at - 1 !== NEEDLE_LENGTH) return undefined;
  return Buffer.from(value.slice(at + 1), 'utf8');
}
