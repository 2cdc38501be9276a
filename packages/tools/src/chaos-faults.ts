import { rm } from 'node:fs/promises';
import { isPrimaryOf, newestValues } from './chaos-bitrot.js';
import { compactNode, corruptStoredValue, describeCorruption, readRing } from './chaos-corrupt.js';
import { NEMESIS, fmtT, type HistoryRecorder } from './chaos-history.js';
import type { ClockSkewer } from './chaos-clock.js';
import type { NetworkDegrader } from './chaos-netem.js';
import { startClockJump, startDegrade, type Episode, type EpisodeDeps, type EpisodeKind } from './chaos-episodes.js';
import { describeCut, isNetFault, planCut, type NetCut, type NetFaultKind, type NetworkCutter } from './chaos-network.js';
import type { ChaosRandom } from './chaos-random.js';
import type { LocalCluster } from './local-cluster.js';

/**
 * The faults the loop can inject, one node at a time:
 * - kill: `kill -9`, restarted with the same data after the down time (a crash);
 * - pause: SIGSTOP, SIGCONT after the down time (a long GC pause or a stuck VM:
 *   the process keeps its sockets but answers nothing, so peers see timeouts,
 *   not refused connections);
 * - wipe: `kill -9`, its data directory deleted, restarted empty under the same
 *   id (a replaced disk). With N = 1 this must lose acknowledged writes: the
 *   negative control that shows the checker sees losses.
 * - corrupt: the node compacts (its records move from LevelDB's log into table
 *   files), is killed with `kill -9`, one bit inside one stored value the
 *   workload wrote is flipped in a table file (bit rot; see chaos-corrupt.ts),
 *   and it is restarted with that data after the down time. Its checksum must
 *   catch the damage: nothing damaged served, nothing acknowledged lost.
 * - partition, isolate, bridge: cut the network between nodes (random halves;
 *   one node from all others; two halves that both still reach a bridge node)
 *   with iptables, healed after the down time (see chaos-network.ts). Every
 *   node keeps serving its clients; only node-to-node traffic is cut.
 * - degrade: delay, jitter, loss, duplication and reordering on every packet
 *   to or from one or two random nodes (tc netem; see chaos-netem.ts), healed
 *   after the down time. The nodes keep serving.
 * - clock: one random node's clock jumps forward or backward by seconds while
 *   it runs, and back after the down time (see chaos-clock.ts). It keeps serving.
 */
export const FAULT_KINDS = ['kill', 'pause', 'wipe', 'partition', 'isolate', 'bridge', 'degrade', 'clock', 'corrupt'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type { EpisodeKind } from './chaos-episodes.js';
export type NodeFaultKind = Exclude<FaultKind, NetFaultKind | EpisodeKind>;

export interface FaultLoopOptions {
  readonly cluster: LocalCluster;
  readonly recorder: HistoryRecorder;
  readonly random: ChaosRandom;
  readonly kinds: readonly FaultKind[];
  /** a fault starts every this many ms (the first after one interval) */
  readonly everyMs: number;
  /** how long the node stays down */
  readonly downForMs: number;
  /** a line for the operator (stderr) as each fault happens */
  readonly log: (line: string) => void;
  /** required when `kinds` holds a network fault: the firewall chain, set up */
  readonly network?: NetworkCutter;
  /** required when `kinds` holds degrade: tc netem (or its fallback), set up */
  readonly degrader?: NetworkDegrader;
  /** required when `kinds` holds clock: the nodes' offset files, set up */
  readonly clocks?: ClockSkewer;
  /**
   * Called before a node is killed (kill, wipe, corrupt), while it still runs:
   * what its process counted (damaged copies found) ends with it.
   */
  readonly beforeKill?: (i: number) => Promise<void>;
}

/** Who is down now, and why: clients send only to nodes not in here. */
interface Down {
  readonly kind: NodeFaultKind;
  readonly since: number;
}

/**
 * Injects one fault at a time on a fixed schedule, from a seeded random
 * stream, and records each step (invoke, then ok or fail) in the history.
 */
export class FaultLoop {
  private readonly down = new Map<number, Down>();
  /** the network cut in force, if any */
  private cutNow: { readonly cut: NetCut; readonly text: string; readonly since: number } | undefined;
  /** a degradation or clock jump in force: how to end it */
  private episodeNow: Episode | undefined;
  private readonly setEpisode = (e: Episode | undefined): void => void (this.episodeNow = e);
  private get episodeDeps(): EpisodeDeps {
    return { ...this.o, healed: (t) => (this.lastRecoveryAt = t) };
  }
  private stopping = false;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  /** when the last node came back (ms of the history clock), for the healing figures */
  lastRecoveryAt: number | undefined;

  constructor(private readonly o: FaultLoopOptions) {}

  /** Indexes of the nodes serving now. */
  liveNodes(): number[] {
    const live: number[] = [];
    for (let i = 0; i < this.o.cluster.size; i++) if (!this.down.has(i)) live.push(i);
    return live;
  }

  /** Ids of the nodes down now, with the fault, for the progress line. */
  describeDown(): string {
    const how = { kill: 'killed', pause: 'paused', wipe: 'wiped', corrupt: 'corrupted' } as const;
    const parts = [...this.down].map(([i, d]) => `${this.o.cluster.node(i).id} (${how[d.kind]})`);
    if (this.cutNow !== undefined) parts.push(`network cut ${this.cutNow.text} (${this.cutNow.cut.kind})`);
    if (this.episodeNow !== undefined) parts.push(`${this.episodeNow.kind} ${this.episodeNow.text}`);
    return parts.join(', ');
  }

  /** Starts the schedule; faults begin only before `untilMs` (history clock). */
  start(untilMs: number): void {
    this.running = this.loop(untilMs);
  }

  /**
   * Stops injecting and brings every node back (restart or SIGCONT), now.
   * Rejects if a node cannot be brought back.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    const problems: string[] = [];
    try {
      await this.endEpisode();
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
    if (this.cutNow !== undefined) {
      try {
        await this.healCut();
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
    for (const i of [...this.down.keys()]) {
      try {
        await this.recover(i);
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
    if (problems.length > 0) throw new Error(`could not bring every node back:\n${problems.join('\n')}`);
  }

  private async loop(untilMs: number): Promise<void> {
    const { recorder, everyMs, downForMs } = this.o;
    for (let next = everyMs; next < untilMs && !this.stopping; next += everyMs) {
      await this.sleepUntil(next);
      if (this.stopping) return;
      // One node down at a time: a node that did not come back is retried instead of hitting another.
      const stuck = [...this.down.keys()];
      if (stuck.length > 0 || this.cutNow !== undefined || this.episodeNow !== undefined) {
        for (const i of stuck) await this.recover(i).catch(() => undefined);
        if (this.cutNow !== undefined) await this.healCut().catch(() => undefined);
        await this.endEpisode().catch(() => undefined);
        continue;
      }
      const node = this.o.random.int(this.o.cluster.size);
      const kind = this.o.random.pick(this.o.kinds);
      if (kind === 'degrade' || kind === 'clock') {
        await (kind === 'degrade' ? startDegrade(this.episodeDeps, this.setEpisode) : startClockJump(this.episodeDeps, node, this.setEpisode));
        await this.sleepUntil(recorder.elapsedMs() + downForMs);
        if (this.stopping) return;
        await this.endEpisode().catch(() => undefined);
        continue;
      }
      if (isNetFault(kind)) {
        await this.injectCut(kind);
        await this.sleepUntil(recorder.elapsedMs() + downForMs);
        if (this.stopping) return;
        await this.healCut().catch(() => undefined);
        continue;
      }
      await this.inject(node, kind);
      await this.sleepUntil(recorder.elapsedMs() + downForMs);
      // On stop, stop() brings it back.
      if (this.stopping) return;
      await this.recover(node).catch(() => undefined);
    }
  }

  private async injectCut(kind: NetFaultKind): Promise<void> {
    const { cluster, recorder, log, network } = this.o;
    const ids = Array.from({ length: cluster.size }, (_, i) => cluster.node(i).id);
    const cut = planCut(kind, cluster.size, this.o.random);
    const text = describeCut(cut, ids);
    const groups = cut.groups.map((g) => g.map((i) => ids[i] ?? `n${i + 1}`));
    const e = recorder.record({ client: NEMESIS, op: kind, node: text, phase: 'invoke', groups });
    // Before the rules go in, so a half-applied cut is still healed.
    this.cutNow = { cut, text, since: e.t };
    try {
      if (network === undefined) throw new Error('network faults need the iptables chain (no NetworkCutter given)');
      await network.cut(cut);
      recorder.record({ client: NEMESIS, op: kind, node: text, phase: 'ok', groups });
      log(`${fmtT(e.t)}  ${kind}: cut ${text} (${cut.pairs.length} node pairs)`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      recorder.record({ client: NEMESIS, op: kind, node: text, phase: 'fail', error: message, groups });
      log(`${fmtT(e.t)}  ${kind} ${text} failed: ${message}`);
    }
  }

  private async healCut(): Promise<void> {
    const { recorder, log, network } = this.o;
    const now = this.cutNow;
    if (now === undefined) return;
    const e = recorder.record({ client: NEMESIS, op: 'heal', node: now.text, phase: 'invoke' });
    try {
      await network?.heal();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      recorder.record({ client: NEMESIS, op: 'heal', node: now.text, phase: 'fail', error: message });
      log(`${fmtT(e.t)}  heal ${now.text} FAILED: ${message}`);
      throw err;
    }
    const ok = recorder.record({ client: NEMESIS, op: 'heal', node: now.text, phase: 'ok' });
    this.cutNow = undefined;
    this.lastRecoveryAt = ok.t;
    log(`${fmtT(e.t)}  heal ${now.text} after ${((e.t - now.since) / 1000).toFixed(1)} s`);
  }

  /** Ends the degradation or clock jump in force, if any. */
  private async endEpisode(): Promise<void> {
    const now = this.episodeNow;
    if (now === undefined) return;
    await now.end();
    this.episodeNow = undefined;
  }

  private async inject(i: number, kind: NodeFaultKind): Promise<void> {
    const { cluster, recorder, log } = this.o;
    const { id, pid, dataDir } = cluster.node(i);
    // Out of the live set first, so clients stop choosing it before it goes.
    this.down.set(i, { kind, since: recorder.elapsedMs() });
    if (kind === 'corrupt') return this.injectCorrupt(i);
    const withPid = pid === undefined ? {} : { pid };
    const e = recorder.record({ client: NEMESIS, op: kind, node: id, phase: 'invoke', ...withPid });
    try {
      if (kind === 'kill' || kind === 'wipe') {
        await this.o.beforeKill?.(i);
        await cluster.kill(i, 'SIGKILL');
        if (kind === 'wipe') await rm(dataDir, { recursive: true, force: true });
      } else {
        if (pid === undefined) throw new Error(`${id} is not running`);
        process.kill(pid, 'SIGSTOP');
      }
      recorder.record({ client: NEMESIS, op: kind, node: id, phase: 'ok', ...withPid });
      const what = { kill: 'kill -9', pause: 'SIGSTOP', wipe: 'kill -9 and wipe the data of' } as const;
      log(`${fmtT(e.t)}  ${what[kind]} ${id}${pid === undefined ? '' : ` (pid ${pid})`}`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      recorder.record({ client: NEMESIS, op: kind, node: id, phase: 'fail', error: message, ...withPid });
      log(`${fmtT(e.t)}  ${kind} ${id} failed: ${message}`);
    }
  }

  /**
   * Compact, kill -9, flip one bit of a stored value in a table file. The node
   * is already out of the live set. A value not found (or a failed compaction)
   * is said in the log line; the node stays down and is restarted either way.
   */
  private async injectCorrupt(i: number): Promise<void> {
    const { cluster, recorder, log } = this.o;
    const { id, pid, dataDir, httpUrl } = cluster.node(i);
    const withPid = pid === undefined ? {} : { pid };
    const e = recorder.record({ client: NEMESIS, op: 'corrupt', node: id, phase: 'invoke', ...withPid });
    try {
      // Read while it runs: only keys it is a primary replica of are looked for on its disk.
      const ring = await readRing(httpUrl);
      await this.o.beforeKill?.(i);
      let compacted = '';
      try {
        await compactNode(httpUrl);
      } catch (err) {
        // The tables may still hold values from LevelDB's own flushes: look there anyway.
        compacted = `compaction failed (${err instanceof Error ? err.message : String(err)}); `;
      }
      // Right after the compaction (its counters were read before): every write it lets into the log shadows a table copy.
      await cluster.kill(i, 'SIGKILL');
      const values = newestValues(recorder.events).filter((v) => isPrimaryOf(ring, id, v.key));
      const outcome = await corruptStoredValue(dataDir, values, this.o.random);
      const detail = `${compacted}${describeCorruption(outcome)}`;
      if (outcome.kind === 'skipped') {
        recorder.record({ client: NEMESIS, op: 'corrupt', node: id, phase: 'fail', error: `skipped: ${detail}`, ...withPid });
        log(`${fmtT(e.t)}  corrupt ${id} SKIPPED, nothing flipped (killed all the same, restarted after the down time): ${detail}`);
        return;
      }
      recorder.record({ client: NEMESIS, op: 'corrupt', node: id, phase: 'ok', detail, ...withPid });
      log(`${fmtT(e.t)}  corrupt ${id}: compact, kill -9${pid === undefined ? '' : ` (pid ${pid})`}, ${detail}`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      recorder.record({ client: NEMESIS, op: 'corrupt', node: id, phase: 'fail', error: message, ...withPid });
      log(`${fmtT(e.t)}  corrupt ${id} failed: ${message}`);
    }
  }

  private async recover(i: number): Promise<void> {
    const { cluster, recorder, log } = this.o;
    const d = this.down.get(i);
    if (d === undefined) return;
    const { id } = cluster.node(i);
    if (d.kind === 'pause') {
      const pid = cluster.node(i).pid;
      const e = recorder.record({ client: NEMESIS, op: 'resume', node: id, phase: 'invoke', ...(pid === undefined ? {} : { pid }) });
      if (pid !== undefined) process.kill(pid, 'SIGCONT');
      recorder.record({ client: NEMESIS, op: 'resume', node: id, phase: 'ok', ...(pid === undefined ? {} : { pid }) });
      this.down.delete(i);
      this.lastRecoveryAt = recorder.elapsedMs();
      log(`${fmtT(e.t)}  SIGCONT ${id} after ${((e.t - d.since) / 1000).toFixed(1)} s`);
      return;
    }
    const e = recorder.record({ client: NEMESIS, op: 'restart', node: id, phase: 'invoke' });
    try {
      // A fault that failed before its kill leaves the process running: restart() ends it.
      if (cluster.node(i).pid !== undefined) await this.o.beforeKill?.(i);
      await cluster.restart(i);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      recorder.record({ client: NEMESIS, op: 'restart', node: id, phase: 'fail', error: message.split('\n')[0] ?? message });
      log(`${fmtT(e.t)}  restart ${id} FAILED: ${message}`);
      throw err;
    }
    const pid = cluster.node(i).pid;
    const ok = recorder.record({ client: NEMESIS, op: 'restart', node: id, phase: 'ok', ...(pid === undefined ? {} : { pid }) });
    this.down.delete(i);
    this.lastRecoveryAt = ok.t;
    log(`${fmtT(e.t)}  restart ${id}: ready in ${((ok.t - e.t) / 1000).toFixed(1)} s${pid === undefined ? '' : ` (pid ${pid})`}`);
  }

  private sleepUntil(t: number): Promise<void> {
    const ms = t - this.o.recorder.elapsedMs();
    if (ms <= 0 || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
