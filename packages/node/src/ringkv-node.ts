import type { ClusterParams, Clock, MemberInfo, Random, Transport } from '@ringkv/core';
import type { ReplicaStore } from '@ringkv/storage';
import { ClusterView } from './cluster-view.js';
import { Coordinator } from './coordinator.js';
import type { Logger } from './logger.js';
import { MemberGossip } from './member-gossip.js';
import { ReplicaService } from './replica-service.js';
import { makeRpcHandler } from './rpc-handlers.js';

/** The ports and settings a node's logic runs on; real ones in a process, simulated ones in `sim`. */
export interface RingkvNodeDeps {
  readonly self: MemberInfo;
  /** version actor of this node's store generation, e.g. "n1#3" */
  readonly actor: string;
  readonly params: ClusterParams;
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport;
  readonly store: ReplicaStore;
  readonly logger: Logger;
  readonly seeds: readonly string[];
  readonly requestTimeoutMs: number;
  readonly gossipIntervalMs: number;
  readonly syncWrites: boolean;
}

/**
 * One node's logic, wired together but free of process concerns (sockets,
 * files, HTTP): the simulator runs many of these in one process.
 */
export class RingkvNode {
  readonly view: ClusterView;
  readonly replica: ReplicaService;
  readonly coordinator: Coordinator;
  private readonly gossip: MemberGossip;
  readonly startedAt: number;

  constructor(readonly deps: RingkvNodeDeps) {
    this.startedAt = deps.clock.now();
    this.view = new ClusterView(deps.self, deps.params);
    this.replica = new ReplicaService(deps.store, deps.actor, { syncWrites: deps.syncWrites });
    this.coordinator = new Coordinator({
      view: this.view,
      replica: this.replica,
      transport: deps.transport,
      clock: deps.clock,
      logger: deps.logger,
      requestTimeoutMs: deps.requestTimeoutMs,
    });
    this.gossip = new MemberGossip({
      view: this.view,
      transport: deps.transport,
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger,
      seeds: deps.seeds,
      intervalMs: deps.gossipIntervalMs,
    });
  }

  /** Starts serving inter-node requests and gossiping. */
  async start(): Promise<void> {
    await this.deps.transport.listen(
      makeRpcHandler({ view: this.view, replica: this.replica, coordinator: this.coordinator, logger: this.deps.logger }),
    );
    this.gossip.start();
  }

  async stop(): Promise<void> {
    this.gossip.stop();
    await this.deps.transport.close();
  }
}
