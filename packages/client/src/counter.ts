/**
 * What the client needs for /counter/:key (PN-counters and rate-limit buckets):
 * option types, paths, the internal key used for partition-aware routing, and
 * the validation of the node's JSON answer.
 */
import { encodeCounterKey } from '@ringkv/core';
import { RingkvHttpError } from './http-error.js';
import { keyPath } from './kv-answer.js';

export interface IncrOptions {
  /**
   * Seconds: the counter becomes a rate-limit window. The first increment of a
   * window fixes its end (now + ttl); later increments add to it; after the
   * end the counter reads 0 and the next increment starts a new window.
   */
  readonly ttl?: number;
  readonly w?: number;
  /** how many of the W acks must come from replicas that fsynced the increment (`?dw=`; 0..N) */
  readonly dw?: number;
  readonly node?: string;
}

export interface CounterOptions {
  readonly r?: number;
  readonly node?: string;
}

export function counterPath(key: string, query: Readonly<Record<string, number | undefined>>): string {
  return keyPath('counter', key, query);
}

/** The stored key, for routing to a replica; undefined for a name a node would refuse (it answers KEY_INVALID). */
export function counterRouteBytes(key: string): Uint8Array | undefined {
  try {
    return encodeCounterKey(key);
  } catch {
    return undefined;
  }
}

/** The `value` of a node's `{"value": n}` answer. */
export function readCounterValue(status: number, body: Buffer, node: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const value = (parsed as { value?: unknown } | undefined)?.value;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new RingkvHttpError('UNEXPECTED_RESPONSE', status, 'the /counter body is not {"value": n}', {}, node);
  }
  return value;
}
