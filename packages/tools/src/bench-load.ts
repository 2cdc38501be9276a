import { performance } from 'node:perf_hooks';
import { Prng } from '@ringkv/core';
import { errorKind, type KvDriver } from './bench-driver.js';
import type { ValueSource } from './bench-values.js';

export interface LoadOptions {
  readonly driver: KvDriver;
  /** keys 0..records−1 are written once each */
  readonly records: number;
  /** writes in flight: many, so that the nodes' group commit and RPC batching have something to batch */
  readonly clients: number;
  readonly values: ValueSource;
  readonly seed: number;
  readonly aborted: () => boolean;
  /** called once a second and at the end */
  readonly onProgress?: (written: number, elapsedMs: number) => void;
}

export interface LoadResult {
  readonly written: number;
  readonly elapsedMs: number;
  /** error kinds with counts (each failed key is retried, up to attemptsMax times) */
  readonly errorKinds: Readonly<Record<string, number>>;
  /** keys not written after every attempt: later reads of them will count NOT_FOUND */
  readonly failedKeys: number;
}

const attemptsMax = 3;

/** Writes every record with `clients` concurrent writers (the YCSB load phase). */
export async function loadRecords(o: LoadOptions): Promise<LoadResult> {
  let next = 0;
  let written = 0;
  let failedKeys = 0;
  const errorKinds: Record<string, number> = {};
  const started = performance.now();
  const seeds = new Prng(o.seed);

  const writer = async (random: Prng): Promise<void> => {
    while (next < o.records && !o.aborted()) {
      const key = next++;
      for (let attempt = 1; ; attempt++) {
        try {
          await o.driver.write(key, o.values.next(random));
          written++;
          break;
        } catch (err) {
          const kind = errorKind(err);
          errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
          if (attempt >= attemptsMax) {
            failedKeys++;
            break;
          }
        }
      }
    }
  };

  const ticker = o.onProgress === undefined ? undefined : setInterval(() => o.onProgress?.(written, performance.now() - started), 1000);
  try {
    await Promise.all(Array.from({ length: Math.min(o.clients, Math.max(1, o.records)) }, () => writer(seeds.fork())));
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
  }
  const elapsedMs = performance.now() - started;
  o.onProgress?.(written, elapsedMs);
  return { written, elapsedMs, errorKinds, failedKeys };
}
