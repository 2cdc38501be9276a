/**
 * The life of one simulated client operation: its node, its ending (by an
 * answer or by the client giving up), and what a clock read meanwhile.
 * Shared by the /kv workload and the counter workload.
 */
import { RingkvError } from '@ringkv/core';
import type { RingkvNode } from '@ringkv/node';
import type { HistoryOp } from './history.js';
import type { SimCluster, SimMachine } from './sim-cluster.js';

/** The op's node, or undefined after failing the op: connection refused, and the client tries elsewhere soon. */
export function liveNodeOf(machine: SimMachine, op: HistoryOp, now: number, next: () => void): RingkvNode | undefined {
  if (machine.node === undefined) {
    complete(op, 'fail', now, 'node down');
    next();
  }
  return machine.node;
}

/**
 * Sends a request to the machine's node: at once, or — while the process is
 * paused — when it resumes (the request waits in its socket; if the process
 * dies first it is never answered and the client gives up).
 */
export function whenRunning<T>(machine: SimMachine, start: () => Promise<T>): Promise<T> {
  const proc = machine.proc;
  if (!proc.paused) return start();
  return new Promise<T>((resolve, reject) => proc.run(() => void start().then(resolve, reject)));
}

/**
 * How long a client waits for an answer before it gives up. A live
 * coordinator always answers well within it (its own timeouts are
 * requestTimeoutMs, a forwarded write's one more second); no answer means
 * the coordinator crashed with the request, and a real client would time out
 * rather than wait for ever and stop issuing operations.
 */
function clientTimeoutMs(cluster: SimCluster): number {
  return cluster.options.requestTimeoutMs * 4 + 2000;
}

/**
 * Ends an operation exactly once: by its answer, or by the client giving up
 * after clientTimeoutMs with `givenUp` as the outcome ('info' for a write:
 * it may have been applied). A later answer is then ignored; `record` stores
 * what an answer says only when that answer is the ending.
 */
export function opEnding(
  cluster: SimCluster,
  node: RingkvNode,
  op: HistoryOp,
  next: () => void,
  givenUp: 'info' | 'fail',
): (outcome: HistoryOp['outcome'], err?: string, record?: () => void) => void {
  const { scheduler } = cluster;
  const epochAtInvoke = node.view.ringState.epoch;
  let ended = false;
  const end = (outcome: HistoryOp['outcome'], err?: string, record?: () => void): void => {
    if (ended) return;
    ended = true;
    cancelTimeout();
    record?.();
    if (node.view.ringState.epoch === epochAtInvoke) op.ringEpoch = epochAtInvoke;
    complete(op, outcome, scheduler.now, err);
    next();
  };
  const cancelTimeout = scheduler.schedule(clientTimeoutMs(cluster), () => end(givenUp, 'client timeout'));
  return end;
}

/**
 * The machine's clock reading now, to be asked for when an operation ends:
 * undefined if the process died or its clock jumped in between (then what it
 * judged during the operation is not known).
 */
export function steadyClock(machine: SimMachine): () => number | undefined {
  const proc = machine.proc;
  const jumps = proc.jumps;
  const reading = proc.clock.now();
  return () => (machine.proc === proc && proc.alive && proc.jumps === jumps ? reading : undefined);
}

function complete(op: HistoryOp, outcome: HistoryOp['outcome'], at: number, err?: string): void {
  op.outcome = outcome;
  op.completedAt = at;
  if (err !== undefined) op.error = err;
}

export function describe(err: unknown): string {
  return err instanceof RingkvError ? err.code : err instanceof Error ? err.message : String(err);
}
