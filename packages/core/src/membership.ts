import type { MemberInfo } from './member-table.js';
import { ArrivalWindow, type PhiSettings } from './phi-detector.js';
import { RunningTime } from './running-time.js';

/**
 * Who is reachable now, learnt by heartbeat gossip: every node bumps its own
 * heartbeat each round and swaps its table with a random peer; each node
 * judges a member by the phi-accrual detector over the arrivals of that
 * member's heartbeats. Pure: the caller passes the time and does the I/O.
 *
 * Why heartbeats + phi rather than SWIM probes: the table is tiny (one entry
 * per node), a full push-pull exchange per round spreads news in O(log n)
 * rounds, and suspicion stays a local judgement that a partitioned node
 * cannot spread to others. Health is not membership: a dead member keeps its
 * partitions (see ClusterView); only requests route around it.
 *
 * Silence is measured in this node's own running time (running-time.ts):
 * the gossip loop tells it by when it will run again (`expectToRunBy`), and
 * time this node spent stopped past that is not counted against its peers.
 */
export type Health = 'alive' | 'suspect' | 'dead';

export interface GossipEntry {
  readonly info: MemberInfo;
  readonly heartbeat: number;
}

export interface MembershipSettings extends PhiSettings {
  /** phi at which a member becomes suspect: requests stop waiting for it */
  readonly suspectPhi: number;
  /** silence after which a suspect member is dead */
  readonly deadAfterMs: number;
}

/**
 * Defaults for a LAN with 500 ms gossip rounds. Heartbeats relayed by gossip
 * arrive every 0.5–1.5 rounds; with the standard deviation floored at one round,
 * phi reaches 6 about 2.6 s after the last one (suspect);
 * dead after 4 s — both inside the 5 s detection target.
 */
export function defaultMembershipSettings(gossipIntervalMs: number): MembershipSettings {
  return {
    windowSize: 100,
    minStdDevMs: Math.max(50, gossipIntervalMs),
    firstIntervalMs: gossipIntervalMs,
    suspectPhi: 6,
    deadAfterMs: Math.max(1000, gossipIntervalMs * 8),
  };
}

export interface MemberHealth {
  readonly id: string;
  readonly health: Health;
  readonly incarnation: number;
  readonly heartbeat: number;
  /** ms since this node last saw the member's heartbeat advance (of its own running time: spans it was stopped are left out) */
  readonly lastHeardAgoMs: number;
  readonly phi: number;
}

interface Tracked {
  info: MemberInfo;
  heartbeat: number;
  window: ArrivalWindow;
}

export class Membership {
  private readonly members = new Map<string, Tracked>();
  private own: GossipEntry;
  private readonly running = new RunningTime();

  constructor(
    self: MemberInfo,
    private readonly settings: MembershipSettings,
    now: number,
  ) {
    this.own = { info: self, heartbeat: 0 };
    this.members.set(self.id, { info: self, heartbeat: 0, window: new ArrivalWindow(settings, now) });
  }

  get self(): MemberInfo {
    return this.own.info;
  }

  /** A new round: our own heartbeat advances. */
  beat(now: number): void {
    this.own = { info: this.own.info, heartbeat: this.own.heartbeat + 1 };
    const t = this.members.get(this.own.info.id) as Tracked;
    t.heartbeat = this.own.heartbeat;
    t.window.heartbeat(this.running.at(now));
  }

  /**
   * This node runs at `now` and will run its gossip again by `by`. Returns how
   * long it was stopped past the previous such deadline (0 if it was on time):
   * that span is not counted as any peer's silence.
   */
  expectToRunBy(now: number, by: number): number {
    return this.running.expectBy(now, by);
  }

  /** The table to send to a peer. */
  entries(): GossipEntry[] {
    return [...this.members.values()].map((t) => ({ info: t.info, heartbeat: t.heartbeat }));
  }

  /**
   * Merges a peer's table. Returns members that are new or came back with a
   * new incarnation (their addresses may have changed).
   */
  merge(incoming: readonly GossipEntry[], wallNow: number): MemberInfo[] {
    const now = this.running.at(wallNow);
    const changed: MemberInfo[] = [];
    for (const e of incoming) {
      if (e.info.id === this.own.info.id) {
        this.refute(e);
        continue;
      }
      const cur = this.members.get(e.info.id);
      if (cur === undefined || e.info.incarnation > cur.info.incarnation) {
        this.members.set(e.info.id, { info: e.info, heartbeat: e.heartbeat, window: new ArrivalWindow(this.settings, now) });
        changed.push(e.info);
      } else if (e.info.incarnation === cur.info.incarnation && e.heartbeat > cur.heartbeat) {
        cur.heartbeat = e.heartbeat;
        cur.window.heartbeat(now);
      }
    }
    return changed;
  }

  /**
   * Someone holds an entry for us with a newer incarnation than ours (our
   * clock went back across a restart, or an impostor): outbid it so our live
   * entry wins everywhere.
   */
  private refute(e: GossipEntry): void {
    // Our own entry echoed back (same incarnation) is not a challenge.
    if (e.info.incarnation <= this.own.info.incarnation) return;
    const info = { ...this.own.info, incarnation: e.info.incarnation + 1 };
    this.own = { info, heartbeat: this.own.heartbeat };
    const t = this.members.get(info.id) as Tracked;
    t.info = info;
  }

  health(id: string, wallNow: number): Health {
    if (id === this.own.info.id) return 'alive';
    const now = this.running.at(wallNow);
    const t = this.members.get(id);
    if (t === undefined) return 'dead';
    if (now - t.window.lastHeartbeatAt >= this.settings.deadAfterMs) return 'dead';
    return t.window.phi(now) >= this.settings.suspectPhi ? 'suspect' : 'alive';
  }

  isUp(id: string, now: number): boolean {
    return this.health(id, now) === 'alive';
  }

  info(id: string): MemberInfo | undefined {
    return this.members.get(id)?.info;
  }

  snapshot(wallNow: number): MemberHealth[] {
    const now = this.running.at(wallNow);
    return [...this.members.values()]
      .map((t) => ({
        id: t.info.id,
        health: this.health(t.info.id, wallNow),
        incarnation: t.info.incarnation,
        heartbeat: t.heartbeat,
        lastHeardAgoMs: t.info.id === this.own.info.id ? 0 : now - t.window.lastHeartbeatAt,
        phi: t.info.id === this.own.info.id ? 0 : Math.round(t.window.phi(now) * 100) / 100,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
