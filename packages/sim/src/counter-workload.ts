/** The simulated clients' PN-counter and rate-limit window operations. */
import { counterStateOf, encodeCounterKey } from '@ringkv/core';
import { counterKeyName, windowKeyName } from './counter-checker.js';
import { totalsOf } from './counter-totals.js';
import { describe, liveNodeOf, opEnding, steadyClock, whenRunning } from './client-ops.js';
import type { History } from './history.js';
import type { Prng } from './prng.js';
import type { SimCluster } from './sim-cluster.js';
import type { WorkloadOptions } from './workload.js';

/**
 * One counter operation: an increment by a small non-zero delta (either sign)
 * or a read at R, through a random node. A failed increment may still have
 * counted somewhere, so its outcome is unknown ('info'), as for writes.
 */
export function counterStep(cluster: SimCluster, history: History, prng: Prng, opts: WorkloadOptions, client: number, next: () => void): void {
  const { scheduler } = cluster;
  const { params } = cluster.options;
  const plain = opts.counters ?? 0;
  // Without windows this draws what it drew before they existed, so old seeds replay.
  const pick = (opts.windows ?? 0) > 0 ? prng.int(plain + (opts.windows ?? 0)) : prng.int(plain);
  const name = pick < plain ? counterKeyName(pick) : windowKeyName(pick - plain);
  const machine = prng.pick(cluster.machines);
  const incr = prng.chance(0.6);
  const delta = incr ? (prng.chance(0.7) ? prng.between(1, 5) : -prng.between(1, 3)) : undefined;
  const ttlMs = incr && pick >= plain ? prng.between(300, 3000) : undefined;
  const quorum = opts.varyQuorums === true ? prng.between(1, params.n) : undefined;
  const op = history.add({
    client,
    node: machine.id,
    kind: incr ? 'incr' : 'cget',
    key: name,
    invokedAt: scheduler.now,
    ...(delta !== undefined && { delta }),
    ...(ttlMs !== undefined && { ttlMs }),
    ...(quorum !== undefined && { quorum }),
  });
  const node = liveNodeOf(machine, op, scheduler.now, next);
  if (node === undefined) return;
  const key = encodeCounterKey(name);
  if (delta === undefined) {
    const end = opEnding(cluster, node, op, next, 'fail');
    const readerClock = steadyClock(machine);
    whenRunning(machine, () => node.coordinator.get({ key, r: quorum ?? params.r, pr: 0 })).then(
      ({ record, sloppy }) =>
        end('ok', undefined, () => {
          op.sloppy = sloppy;
          op.readTotals = totalsOf([record]);
          const windowEnd = counterStateOf([record])?.windowEnd;
          if (windowEnd !== undefined && windowEnd !== null) op.readWindowEnd = windowEnd;
          const clockAtStart = readerClock();
          if (clockAtStart !== undefined) op.readerClock = clockAtStart;
        }),
      (err: unknown) => end('fail', describe(err)),
    );
    return;
  }
  const end = opEnding(cluster, node, op, next, 'info');
  whenRunning(machine, () => node.coordinator.increment({ key, delta, w: quorum ?? params.w, pw: 0, ...(opts.dw !== undefined && { dw: opts.dw }), ...(ttlMs !== undefined && { ttlMs }) })).then(
    (res) =>
      end('ok', undefined, () => {
        op.sloppy = res.sloppy;
        if (res.windowEnd !== null) op.windowEnd = res.windowEnd;
      }),
    (err: unknown) => end('info', describe(err)),
  );
}
