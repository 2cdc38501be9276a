import { TransportError, type PeerInfo, type RpcHandler, type RpcResult, type Transport } from '@ringkv/core';
import { Packr } from 'msgpackr';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import type { SimProcess } from './sim-process.js';

export interface NetworkFaults {
  /** probability that one message (request or response) is lost */
  dropRate: number;
  /** probability that a request is delivered twice */
  duplicateRate: number;
  latencyMinMs: number;
  latencyMaxMs: number;
}

export const calmNetwork: NetworkFaults = { dropRate: 0, duplicateRate: 0, latencyMinMs: 1, latencyMaxMs: 5 };

interface Endpoint {
  readonly proc: SimProcess;
  handler: RpcHandler | undefined;
}

// Messages cross the simulated wire as msgpack, exactly like the TCP transport,
// so a body that would not survive encoding fails here too.
const wire = new Packr({ useRecords: false });
const copy = (x: unknown): unknown => wire.unpack(wire.pack(x));

/**
 * A network between simulated processes that delays, drops, duplicates and
 * reorders messages and can be cut into partitions — all decided by the
 * seeded PRNG.
 */
export class SimNetwork {
  private readonly endpoints = new Map<string, Endpoint>();
  /** directional cuts "from>to" (by address) */
  private readonly cuts = new Set<string>();
  faults: NetworkFaults = { ...calmNetwork };
  messagesSent = 0;
  messagesDropped = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
  ) {}

  /** A transport for the process listening on `address`. */
  transport(address: string, proc: SimProcess): Transport {
    return {
      request: (to, op, body, timeoutMs) => this.request(address, proc, to, op, body, timeoutMs),
      listen: async (handler) => {
        this.endpoints.set(address, { proc, handler });
      },
      close: async () => {
        const ep = this.endpoints.get(address);
        if (ep?.proc === proc) this.endpoints.delete(address);
      },
    };
  }

  /**
   * Cuts all links between the groups (an address in at most one group);
   * replaces any earlier cut. An address in no group keeps reaching every
   * group: left out of two groups, it bridges them (a non-transitive partition).
   */
  partition(groups: readonly (readonly string[])[]): void {
    this.cuts.clear();
    for (const g of groups) {
      for (const h of groups) {
        if (g === h) continue;
        for (const a of g) for (const b of h) this.cuts.add(`${a}>${b}`);
      }
    }
  }

  /** Cuts one direction only (asymmetric partitions). */
  cut(from: string, to: string): void {
    this.cuts.add(`${from}>${to}`);
  }

  heal(): void {
    this.cuts.clear();
  }

  private latency(): number {
    return this.prng.between(this.faults.latencyMinMs, this.faults.latencyMaxMs);
  }

  /** Whether one message from→to gets through right now. */
  private passes(from: string, to: string): boolean {
    this.messagesSent++;
    if (this.cuts.has(`${from}>${to}`) || this.prng.chance(this.faults.dropRate)) {
      this.messagesDropped++;
      return false;
    }
    return true;
  }

  private request(from: string, sender: SimProcess, to: string, op: string, body: unknown, timeoutMs: number): Promise<RpcResult> {
    return new Promise<RpcResult>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void): void => {
        if (done) return;
        done = true;
        cancelTimeout();
        fn();
      };
      const cancelTimeout = sender.after(timeoutMs, () => {
        if (!done) {
          done = true;
          reject(new TransportError('TIMEOUT', `no reply from ${to} within ${timeoutMs} ms`));
        }
      });
      const payload = copy(body);
      const target = this.endpoints.get(to);
      if (target === undefined || !target.proc.alive || target.handler === undefined) {
        // Nobody listens there: the connection is refused quickly.
        if (this.cuts.has(`${from}>${to}`)) return; // ...unless the packets never arrive at all
        sender.after(this.latency(), () => finish(() => reject(new TransportError('UNREACHABLE', `connection to ${to} refused`))));
        return;
      }
      const deliver = (replyCounts: boolean): void => {
        if (!this.passes(from, to)) return;
        const handler = target.handler;
        target.proc.after(this.latency(), () => {
          const peer: PeerInfo = { nodeId: sender.nodeId };
          void handler?.(peer, op, payload).then(
            (result) => this.reply(to, target.proc, from, sender, result, replyCounts ? finish : undefined, resolve),
            (err: unknown) =>
              this.reply(to, target.proc, from, sender, { ok: false, code: 'INTERNAL', message: String(err) }, replyCounts ? finish : undefined, resolve),
          );
        });
      };
      deliver(true);
      if (this.prng.chance(this.faults.duplicateRate)) deliver(false);
    });
  }

  private reply(
    from: string,
    responder: SimProcess,
    to: string,
    requester: SimProcess,
    result: RpcResult,
    finish: ((fn: () => void) => void) | undefined,
    resolve: (r: RpcResult) => void,
  ): void {
    if (!responder.alive || finish === undefined) return;
    if (!this.passes(from, to)) return;
    const copied = copy(result) as RpcResult;
    requester.after(this.latency(), () => finish(() => resolve(copied)));
  }
}
