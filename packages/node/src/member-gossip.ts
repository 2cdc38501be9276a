import type { Clock, Random, Transport } from '@ringkv/core';
import type { ClusterView } from './cluster-view.js';
import type { Logger } from './logger.js';
import { RPC_OPS, parseMembersExchange } from './rpc-ops.js';

/**
 * Spreads the member table: every interval this node swaps tables with one
 * random peer (and with a seed while it knows nobody), so a new node is known
 * cluster-wide after a few rounds.
 */
export class MemberGossip {
  private cancel: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly deps: {
      readonly view: ClusterView;
      readonly transport: Transport;
      readonly clock: Clock;
      readonly random: Random;
      readonly logger: Logger;
      readonly seeds: readonly string[];
      readonly intervalMs: number;
    },
  ) {}

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  /** One round: pick a peer, exchange tables. Exposed for tests and the simulator. */
  async round(): Promise<void> {
    const { view, transport, random, logger, intervalMs } = this.deps;
    const target = this.pickTarget(random);
    if (target === undefined) return;
    try {
      const res = await transport.request(target, RPC_OPS.membersExchange, { members: [...view.members.values()] }, Math.max(intervalMs, 500));
      if (!res.ok) return;
      const body = parseMembersExchange(res.body);
      if (body !== undefined && view.learn(body.members)) {
        logger.info({ members: [...view.members.keys()] }, 'membership changed');
      }
    } catch {
      // An unreachable peer is normal (it may be starting or down); the next round tries another.
    }
  }

  private pickTarget(random: Random): string | undefined {
    const { view, seeds } = this.deps;
    const peers = [...view.members.values()].filter((m) => m.id !== view.self.id).map((m) => m.rpc);
    const known = new Set(peers);
    // Seeds we have not met under any member entry stay candidates, so a node never stays alone.
    const unknownSeeds = seeds.filter((s) => !known.has(s) && s !== view.self.rpc);
    const candidates = unknownSeeds.length > 0 && (peers.length === 0 || random.int(2) === 0) ? unknownSeeds : peers;
    if (candidates.length === 0) return undefined;
    return candidates[random.int(candidates.length)];
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.cancel = this.deps.clock.setTimer(delayMs, () => {
      void this.round().finally(() => this.schedule(this.deps.intervalMs));
    });
  }
}
