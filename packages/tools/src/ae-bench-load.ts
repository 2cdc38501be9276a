import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import { aeBenchKey } from './ae-bench-keys.js';

export interface WriteKeysOptions {
  /** one pool per node that may coordinate; requests go to them in turn */
  readonly pools: readonly Pool[];
  /** the key indexes to write, each once */
  readonly indexes: readonly number[];
  readonly value: Uint8Array;
  /** write quorum sent with every PUT */
  readonly w: number;
  /** requests in flight at all times */
  readonly clients: number;
  /**
   * The context each key's last write returned, by index; read and updated.
   * A rewrite sends it, so it replaces the old value instead of adding a sibling.
   */
  readonly contexts: (string | undefined)[];
  readonly aborted: () => boolean;
  /** called once a second */
  readonly onTick?: (done: number, elapsedMs: number) => void;
}

export interface WriteKeysResult {
  readonly written: number;
  /** attempts that failed and were tried again */
  readonly retries: number;
  readonly elapsedMs: number;
}

const attemptsMax = 5;
const putHeaders = { 'content-type': 'application/octet-stream' } as const;

/**
 * PUTs every listed key once, `clients` at a time (closed loop, like
 * bench-phase). A failed attempt is tried again a few times: the benchmark's
 * figures are only meaningful when every key was written to the quorum asked
 * for, so a key that keeps failing aborts the run.
 */
export async function writeKeys(o: WriteKeysOptions): Promise<WriteKeysResult> {
  let next = 0;
  let written = 0;
  let retries = 0;
  let turn = 0;
  const started = performance.now();
  const putOne = async (i: number): Promise<void> => {
    const path = `/kv/${aeBenchKey(i)}?w=${o.w}`;
    let last = '';
    for (let attempt = 1; attempt <= attemptsMax; attempt++) {
      const pool = o.pools[turn++ % o.pools.length];
      if (pool === undefined) throw new Error('no node to write to');
      const context = o.contexts[i];
      try {
        const res = await pool.request({ method: 'PUT', path, body: o.value, headers: context === undefined ? putHeaders : { ...putHeaders, 'x-context': context } });
        const text = await res.body.text();
        if (res.statusCode === 204) {
          const ctx = res.headers['x-context'];
          if (typeof ctx === 'string') o.contexts[i] = ctx;
          return;
        }
        last = `HTTP ${res.statusCode} ${text.slice(0, 200)}`;
      } catch (err) {
        last = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
      }
      if (attempt < attemptsMax) {
        retries++;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
    throw new Error(`PUT ${aeBenchKey(i)} (w=${o.w}) failed ${attemptsMax} times; last: ${last}`);
  };
  const loop = async (): Promise<void> => {
    while (next < o.indexes.length && !o.aborted()) {
      const i = o.indexes[next++] as number;
      await putOne(i);
      written++;
    }
  };
  const ticker = o.onTick === undefined ? undefined : setInterval(() => o.onTick?.(written, performance.now() - started), 1000);
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.clients, o.indexes.length)) }, loop));
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
  }
  return { written, retries, elapsedMs: performance.now() - started };
}
