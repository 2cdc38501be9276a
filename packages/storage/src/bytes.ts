/** Byte-string helpers shared by the stores and the key layout. */

/** Bytewise (unsigned, lexicographic) order, the order LevelDB sorts keys in. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    // Both indexes are < length, so the reads are defined.
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * A plain `Uint8Array` with the same bytes, never sharing memory with `src`.
 * (`Buffer#slice` returns a view, so `.slice()` alone is not a safe copy.)
 */
export function copyBytes(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  out.set(src);
  return out;
}

/**
 * The same memory as `src`, retyped as a plain `Uint8Array`: callers then get
 * Uint8Array semantics (`slice` copies) rather than Buffer's (`slice` views).
 */
export function asPlainBytes(src: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(src) === Uint8Array.prototype
    ? src
    : new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
}

/** The smallest byte string greater than `key`: `key` followed by 0x00. */
export function successor(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}
