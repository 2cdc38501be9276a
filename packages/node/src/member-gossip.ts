import { ringStateToWire, type Clock, type GossipEntry, type Membership, type Random, type RingState, type Transport } from '@ringkv/core';
import type { ClusterView } from './cluster-view.js';
import type { Logger } from './logger.js';
import { PeriodicTask } from './periodic-task.js';
import { RPC_OPS, parseMembersExchange } from './rpc-ops.js';

/**
 * The gossip loop: every round this node bumps its heartbeat and swaps its
 * member table with one random peer (push-pull), so news — a new member, a
 * restart, a heartbeat — reaches everyone in O(log n) rounds. Seeds that no
 * member entry accounts for yet stay candidates, so a node never stays alone.
 */
export class MemberGossip {
  private readonly task: PeriodicTask;
  /** called when a peer had known this node under an earlier incarnation before we told it ours */
  onPreviousLife: () => Promise<void> = async () => undefined;
  /**
   * Set when the saved ring was lost at start (damaged): the node then knows
   * the ring only once a committed one (epoch ≥ 1) reaches it — however few
   * seeds it has, a ring made up from its members may not be the cluster's.
   */
  ringLost = false;
  /** each member's incarnation when this process first merged news of it (the table loaded at start counts) */
  private readonly firstSeen = new Map<string, number>();
  /**
   * Time this node ran late for its own gossip (it was stopped or starved),
   * which the failure detector leaves out of its peers' silence; and how many
   * of those spans were longer than a round.
   */
  readonly stats = { stoppedMs: 0, longPauses: 0 };

  constructor(
    private readonly deps: {
      readonly view: ClusterView;
      readonly membership: Membership;
      readonly transport: Transport;
      readonly clock: Clock;
      readonly random: Random;
      readonly logger: Logger;
      readonly seeds: readonly string[];
      readonly intervalMs: number;
    },
  ) {
    // round() handles its own errors: an unreachable peer is normal.
    this.task = new PeriodicTask(deps.clock, () => deps.intervalMs, () => this.round(), () => undefined);
  }

  start(): void {
    this.task.start(0);
  }

  stop(): void {
    void this.task.stop();
  }

  /**
   * Whether this node may coordinate client requests with its ring. A node
   * with a committed ring (epoch ≥ 1) may. At epoch 0 its ring is derived
   * from the members it knows, which is the cluster's bootstrap ring only once
   * it knows at least as many peers as it was given seeds: a node just started
   * into a running cluster (or restarted with a lost disk) that has met only
   * another newcomer would otherwise acknowledge writes on a made-up ring, to
   * replicas the real ring never hands over (simulator seed 5629). Members
   * learnt from a node of the running cluster come with its committed ring.
   * A dead member still counts: it stays in the table, so a restart while a
   * seed is down is not blocked.
   */
  ringKnown(): boolean {
    const { view, seeds } = this.deps;
    if (view.ringState.epoch > 0) return true;
    if (this.ringLost) return false;
    return view.members.size - 1 >= new Set(seeds.filter((s) => s !== view.self.rpc)).size;
  }

  /**
   * Whether we knew `entries`' sender under an older incarnation (it restarted,
   * maybe with a new disk). Judged against the first incarnation this process
   * saw of it, not the current one: merging its new entry must not erase the
   * answer, or a lost reply would leave a wiped node never told (simulator
   * seed 5774: the one reply saying so was dropped, and every later exchange
   * compared the new incarnation with itself).
   */
  knewOlder(entries: readonly GossipEntry[], sender: string): boolean {
    const theirs = entries.find((e) => e.info.id === sender);
    const first = this.firstSeen.get(sender) ?? this.deps.membership.info(sender)?.incarnation;
    return theirs !== undefined && first !== undefined && first < theirs.info.incarnation;
  }

  /** What we gossip: the member table, and the ring state once one was committed. */
  outgoing(): { entries: GossipEntry[]; ring?: unknown } {
    const state = this.deps.view.ringState;
    return { entries: this.deps.membership.entries(), ...(state.epoch > 0 ? { ring: ringStateToWire(state) } : {}) };
  }

  /**
   * Merges a peer's table and ring (request or reply) and returns our table.
   * Members and ring first, then the news that we had a previous life: the
   * recovery that news starts counts what to exchange on the ring we know,
   * which must be the cluster's, not one made up from the few members we knew
   * before this message (a recovery counted on that ring had nothing to wait
   * for, simulator seeds 5, 18, 32, 59).
   */
  receive(entries: readonly GossipEntry[], ring: RingState | undefined): GossipEntry[] {
    const { membership, view, clock, logger } = this.deps;
    const previousLife = entries.some((e) => e.info.id === view.self.id && e.info.incarnation < membership.self.incarnation);
    for (const e of entries) {
      if (!this.firstSeen.has(e.info.id)) this.firstSeen.set(e.info.id, membership.info(e.info.id)?.incarnation ?? e.info.incarnation);
    }
    const changed = membership.merge(entries, clock.now());
    // A member back with a new incarnation is reachable again: don't let an old connect backoff hide it.
    for (const m of changed) this.deps.transport.peerAlive?.(m.rpc);
    if (changed.length > 0 && view.learn(changed)) {
      logger.info({ members: [...view.members.keys()] }, 'membership changed');
    }
    if (ring !== undefined && view.learnRing(ring)) {
      logger.info({ epoch: view.ringState.epoch, done: view.ringState.done.length }, 'ring state changed');
    }
    if (previousLife) void this.onPreviousLife().catch((err: unknown) => logger.error({ err: String(err) }, 'could not start recovery'));
    return membership.entries();
  }

  /**
   * One round: beat, pick a peer, exchange tables. Each step tells the
   * detector by when this node will run again (the exchange's timeout, then
   * the pause before the next round), so time it spends stopped past that
   * is not held against its peers (running-time.ts).
   */
  async round(): Promise<void> {
    const { membership, clock, intervalMs } = this.deps;
    const exchangeTimeoutMs = Math.max(intervalMs * 2, 200);
    this.noteLocalPause(membership.expectToRunBy(clock.now(), clock.now() + exchangeTimeoutMs));
    membership.beat(clock.now());
    try {
      await this.exchange(exchangeTimeoutMs);
    } finally {
      this.noteLocalPause(membership.expectToRunBy(clock.now(), clock.now() + intervalMs));
    }
  }

  /** A pause longer than a round is worth an operator's attention: something stopped the whole process. */
  private noteLocalPause(stoppedMs: number): void {
    this.stats.stoppedMs += stoppedMs;
    if (stoppedMs > this.deps.intervalMs) {
      this.stats.longPauses++;
      this.deps.logger.warn({ stoppedMs }, 'this node was stopped past its gossip deadline (GC pause, SIGSTOP, overloaded machine); that time is not counted as its peers\' silence');
    }
  }

  private async exchange(timeoutMs: number): Promise<void> {
    const { transport } = this.deps;
    const target = this.pickTarget();
    if (target === undefined) return;
    try {
      const res = await transport.request(target, RPC_OPS.membersExchange, this.outgoing(), timeoutMs);
      if (!res.ok) return;
      const body = parseMembersExchange(res.body);
      if (body !== undefined) {
        this.receive(body.entries, body.ring);
      }
      if ((res.body as { knewYou?: unknown } | null)?.knewYou === true) await this.onPreviousLife();
    } catch {
      // An unreachable peer is normal (starting or down); the next round tries another.
    }
  }

  private pickTarget(): string | undefined {
    const { view, membership, seeds, random, clock } = this.deps;
    const now = clock.now();
    const others = [...view.members.values()].filter((m) => m.id !== view.self.id);
    const up = others.filter((m) => membership.isUp(m.id, now)).map((m) => m.rpc);
    const down = others.filter((m) => !membership.isUp(m.id, now)).map((m) => m.rpc);
    const known = new Set(others.map((m) => m.rpc));
    const unknownSeeds = seeds.filter((s) => !known.has(s) && s !== view.self.rpc);
    // Mostly live peers; now and then a down one (to notice it is back) or an unmet seed.
    const roll = random.int(8);
    let pool = up;
    if ((roll === 0 || up.length === 0) && unknownSeeds.length > 0) pool = unknownSeeds;
    else if ((roll === 1 || up.length === 0) && down.length > 0) pool = down;
    if (pool.length === 0) pool = [...up, ...down, ...unknownSeeds];
    if (pool.length === 0) return undefined;
    return pool[random.int(pool.length)];
  }

}
