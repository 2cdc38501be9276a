import type { Sibling } from './siblings-body.js';

/** Return this from an update function to delete the key. */
export const DELETE: unique symbol = Symbol('ringkv.update.delete');

/**
 * What an update function returns: the new value, DELETE, or undefined to
 * leave the key as it is (nothing is written).
 */
export type UpdateValue = Uint8Array | string | typeof DELETE | undefined;

export interface UpdateMeta {
  /** false when the key had no value (siblings is empty) */
  readonly found: boolean;
  /** the context the write will carry (covers every sibling passed) */
  readonly context: string | undefined;
  /** 1 for the first call; more when a concurrent write made update try again */
  readonly attempt: number;
}

/**
 * Turns the values currently stored under a key into the one that replaces
 * them all. It may be called several times (once per attempt), with more than
 * one sibling when writes were concurrent, so it must merge, not just modify
 * the first value, and must have no side effects that cannot be repeated.
 */
export type UpdateFn = (siblings: readonly Sibling[], meta: UpdateMeta) => UpdateValue | Promise<UpdateValue>;

export interface UpdateOptions {
  /** tries before giving up with RingkvUpdateConflictError (default 5) */
  readonly attempts?: number;
  /** the pause before attempt k+1 is random in [0, backoffMs·2^(k-1)], capped at 1 s (default 20 ms) */
  readonly backoffMs?: number;
  readonly r?: number;
  readonly w?: number;
  /** how many of the W acks must come from replicas that fsynced the write (`?dw=`; 0..N) */
  readonly dw?: number;
  /** content type of the value written (default as for put) */
  readonly contentType?: string;
}

export interface UpdateResult {
  /** false when the function returned undefined (or DELETE on an absent key) */
  readonly written: boolean;
  readonly deleted: boolean;
  /** context after the write (or of the last read when nothing was written) */
  readonly context: string | undefined;
  readonly attempts: number;
}

/** The key's state as update sees it: the live siblings and what a write must carry to replace them. */
export interface KeyState {
  readonly siblings: readonly Sibling[];
  readonly context: string | undefined;
  /** the version's ETag, when the server sends one; the write then carries If-Match */
  readonly etag: string | undefined;
}

/** What a write reports back. */
export type WriteOutcome =
  /** stored, and no other live version remains: done */
  | { readonly kind: 'done'; readonly context: string | undefined }
  /** stored next to versions the write did not cover (a concurrent write won the race) */
  | { readonly kind: 'siblings'; readonly state: KeyState }
  /** refused by If-Match (412): someone else wrote since our read; nothing was stored */
  | { readonly kind: 'precondition-failed' };

/** The I/O update needs; RingkvClient provides it over HTTP, tests with fakes. */
export interface UpdateIo {
  read(key: string): Promise<KeyState>;
  /** `value === null` deletes */
  write(key: string, value: Uint8Array | string | null, state: KeyState): Promise<WriteOutcome>;
  sleep(ms: number): Promise<void>;
  random(): number;
}

/** update gave up: every attempt met a concurrent write. The key is left with the siblings listed. */
export class RingkvUpdateConflictError extends Error {
  readonly code = 'UPDATE_CONFLICT';
  constructor(
    readonly key: string,
    readonly attempts: number,
    /** the siblings of the last attempt (ours among them unless the write was refused by If-Match) */
    readonly siblings: readonly Sibling[],
    readonly context: string | undefined,
  ) {
    super(`update of "${key.slice(0, 100)}" met a concurrent write on each of its ${attempts} attempts`);
    this.name = 'RingkvUpdateConflictError';
  }
}

const backoffCapMs = 1000;

/**
 * Read → fn → write with the read's context, until a write leaves a single
 * version. A conflict is either a 412 to the write's If-Match (nothing was
 * stored) or, on servers without ETags, a write whose returned body still
 * holds siblings (ours was stored beside a concurrent one). Either way fn is
 * called again on what is stored now, and its merge, written with a context
 * covering all of it, supersedes every sibling.
 */
export async function runUpdate(io: UpdateIo, key: string, fn: UpdateFn, options: UpdateOptions = {}): Promise<UpdateResult> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const backoffMs = options.backoffMs ?? 20;
  let state = await io.read(key);
  for (let attempt = 1; ; attempt++) {
    const found = state.siblings.length > 0;
    const value = await fn(state.siblings, { found, context: state.context, attempt });
    if (value === undefined || (value === DELETE && !found)) {
      return { written: false, deleted: false, context: state.context, attempts: attempt };
    }
    const outcome = await io.write(key, value === DELETE ? null : value, state);
    if (outcome.kind === 'done') return { written: true, deleted: value === DELETE, context: outcome.context, attempts: attempt };
    if (attempt >= attempts) {
      const last = outcome.kind === 'siblings' ? outcome.state : state;
      throw new RingkvUpdateConflictError(key, attempt, last.siblings, last.context);
    }
    // The siblings a write returns are its coordinator's state of a moment ago: resolving them at
    // once usually wins against a single concurrent writer.
    if (outcome.kind === 'siblings' && attempt === 1) {
      state = outcome.state;
      continue;
    }
    // Several writers keep racing: back off, then take a fresh snapshot. Sleeping between a snapshot
    // and the write would only widen the window in which another write makes it stale. Full jitter
    // spreads writers that conflicted together, so they do not all collide again.
    const pause = Math.min(backoffCapMs, backoffMs * 2 ** (attempt - 1));
    await io.sleep(pause * io.random());
    state = await io.read(key);
  }
}
