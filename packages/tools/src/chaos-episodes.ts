/**
 * The chaos faults that leave the nodes serving and end after the down time
 * (episodes): `degrade` (delay, loss, duplication on one or two nodes' traffic:
 * chaos-netem.ts) and `clock` (one node's clock jumps: chaos-clock.ts). Each
 * hands the fault loop what it needs to end it; the loop keeps one in force
 * at a time (chaos-faults.ts).
 */
import type { ChaosRandom } from './chaos-random.js';
import type { ClockSkewer } from './chaos-clock.js';
import { NEMESIS, fmtT, type HistoryRecorder } from './chaos-history.js';
import { describeDegrade, planDegrade, type NetworkDegrader } from './chaos-netem.js';
import type { LocalCluster } from './local-cluster.js';

/** Faults after which the hit nodes keep serving: clients go on choosing them. */
export type EpisodeKind = 'degrade' | 'clock';

/** A degradation or clock jump in force, and how to end it. */
export interface Episode {
  readonly kind: EpisodeKind;
  readonly text: string;
  readonly since: number;
  readonly end: () => Promise<void>;
}

export interface EpisodeDeps {
  readonly cluster: LocalCluster;
  readonly recorder: HistoryRecorder;
  readonly random: ChaosRandom;
  readonly log: (line: string) => void;
  readonly degrader?: NetworkDegrader;
  readonly clocks?: ClockSkewer;
  /** an episode ended at `t` (history clock), for the healing figures */
  readonly healed: (t: number) => void;
}

export async function startDegrade(deps: EpisodeDeps, set: (e: Episode | undefined) => void): Promise<void> {
  const { cluster, recorder, log, degrader } = deps;
  const ids = Array.from({ length: cluster.size }, (_, i) => cluster.node(i).id);
  const d = planDegrade(cluster.size, deps.random);
  const who = d.nodes.map((i) => ids[i] ?? `n${i + 1}`).join(' ');
  const detail = describeDegrade(d, ids, degrader?.mode);
  const e = recorder.record({ client: NEMESIS, op: 'degrade', node: who, phase: 'invoke', detail });
  // Before the commands run, so a half-applied degradation is still removed.
  set({
    kind: 'degrade',
    text: who,
    since: e.t,
    end: async () => {
      const h = recorder.record({ client: NEMESIS, op: 'heal', node: who, phase: 'invoke' });
      try {
        await degrader?.heal();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        recorder.record({ client: NEMESIS, op: 'heal', node: who, phase: 'fail', error: message });
        log(`${fmtT(h.t)}  heal degraded ${who} FAILED: ${message}`);
        throw err;
      }
      const ok = recorder.record({ client: NEMESIS, op: 'heal', node: who, phase: 'ok' });
      deps.healed(ok.t);
      log(`${fmtT(h.t)}  heal degraded ${who} after ${((h.t - e.t) / 1000).toFixed(1)} s`);
    },
  });
  try {
    if (degrader === undefined) throw new Error('the degrade fault needs a NetworkDegrader');
    const applied = await degrader.apply(d);
    if (!applied) {
      const why = degrader.mode.kind === 'skip' ? degrader.mode.why : 'unavailable';
      recorder.record({ client: NEMESIS, op: 'degrade', node: who, phase: 'fail', error: `skipped: ${why}`, detail });
      log(`${fmtT(e.t)}  degrade ${who} SKIPPED: neither tc netem nor iptables can be used here (${why})`);
      set(undefined);
      return;
    }
    recorder.record({ client: NEMESIS, op: 'degrade', node: who, phase: 'ok', detail });
    log(`${fmtT(e.t)}  degrade ${detail}`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    recorder.record({ client: NEMESIS, op: 'degrade', node: who, phase: 'fail', error: message, detail });
    log(`${fmtT(e.t)}  degrade ${who} failed: ${message}`);
  }
}

export async function startClockJump(deps: EpisodeDeps, i: number, set: (e: Episode | undefined) => void): Promise<void> {
  const { cluster, recorder, log, clocks } = deps;
  const { id } = cluster.node(i);
  const e = recorder.record({ client: NEMESIS, op: 'clock', node: id, phase: 'invoke' });
  try {
    if (clocks === undefined) throw new Error('the clock fault needs a ClockSkewer');
    const j = await clocks.jump(i);
    const detail = `${signedS(j.fromMs)} → ${signedS(j.toMs)}`;
    recorder.record({ client: NEMESIS, op: 'clock', node: id, phase: 'ok', detail });
    log(`${fmtT(e.t)}  clock of ${id} jumps ${detail}`);
    set({
      kind: 'clock',
      text: id,
      since: e.t,
      end: async () => {
        const b = recorder.record({ client: NEMESIS, op: 'clock-back', node: id, phase: 'invoke' });
        const back = await clocks.reset(i);
        const backDetail = `${signedS(back.fromMs)} → ${signedS(back.toMs)}`;
        const ok = recorder.record({ client: NEMESIS, op: 'clock-back', node: id, phase: 'ok', detail: backDetail });
        deps.healed(ok.t);
        log(`${fmtT(b.t)}  clock of ${id} jumps back ${backDetail}`);
      },
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    recorder.record({ client: NEMESIS, op: 'clock', node: id, phase: 'fail', error: message });
    log(`${fmtT(e.t)}  clock ${id} failed: ${message}`);
  }
}

/** "+3.2 s" / "-1.0 s" */
function signedS(ms: number): string {
  return `${ms >= 0 ? '+' : '-'}${(Math.abs(ms) / 1000).toFixed(1)} s`;
}
