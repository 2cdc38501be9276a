import type { RingkvClient } from '@ringkv/client';
import type { BenchOp } from './routing-bench-report.js';

export interface PhaseSamples {
  readonly latenciesMs: number[];
  readonly errors: number;
  readonly seconds: number;
}

/**
 * A closed loop: `concurrency` workers, each with one request in flight, on
 * random keys of `keys` for `seconds`. PUTs carry the key's latest context
 * (shared by all workers), so the benchmark measures overwrites rather than
 * piling up siblings that would make later requests slower.
 */
export async function runPhase(
  client: RingkvClient,
  op: BenchOp,
  options: { readonly keys: readonly string[]; readonly value: Uint8Array; readonly concurrency: number; readonly seconds: number; readonly contexts: Map<string, string> },
): Promise<PhaseSamples> {
  const latenciesMs: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const pick = (): string => options.keys[Math.floor(Math.random() * options.keys.length)] ?? '';
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const key = pick();
      const t0 = performance.now();
      try {
        if (op === 'GET') {
          await client.get(key);
        } else {
          const context = options.contexts.get(key);
          const res = await client.put(key, options.value, context === undefined ? {} : { context });
          options.contexts.set(key, res.context);
        }
        latenciesMs.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { latenciesMs, errors, seconds: (performance.now() - started) / 1000 };
}
