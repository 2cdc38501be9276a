/**
 * Validation of what callers hand to a `Store`, shared by every implementation
 * so that LevelDB and the in-memory store reject the same inputs.
 */
import type { StoreOp, StoreRange } from '@ringkv/core';

export function checkKey(key: unknown, what: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) throw new TypeError(`${what}: key must be a Uint8Array`);
}

export function checkOps(ops: readonly StoreOp[]): void {
  if (!Array.isArray(ops)) throw new TypeError('write: ops must be an array');
  for (const op of ops) {
    checkKey(op.key, 'write');
    if (op.type === 'put') {
      if (!(op.value instanceof Uint8Array)) throw new TypeError('write: value must be a Uint8Array');
    } else if (op.type !== 'del') {
      throw new TypeError(`write: unknown op type ${String((op as { type: unknown }).type)}`);
    }
  }
}

/** `limit` is a count of entries: a non-negative integer, or absent/Infinity for no limit. */
export function checkRange(range: StoreRange): void {
  if (range.gte !== undefined) checkKey(range.gte, 'iterate gte');
  if (range.lt !== undefined) checkKey(range.lt, 'iterate lt');
  const { limit } = range;
  if (limit !== undefined && limit !== Infinity && !(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(`iterate: limit must be a non-negative integer, got ${limit}`);
  }
}
