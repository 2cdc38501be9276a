import type { CheckResult, Violation } from './chaos-checker.js';
import { NEMESIS, type HistoryEvent } from './chaos-history.js';
import type { ChaosConfig } from './chaos-options.js';
import type { OutcomeCounts, RequestStats } from './chaos-stats.js';
import { formatTable } from '@ringkv/cli/table-format';
import { totalHints, type HintDrain } from './chaos-heal.js';
import type { Detection, HintRecovery } from './chaos-monitor.js';
import type { CorruptionCounters } from './chaos-corruption-counters.js';
import type { ScrubResult } from './chaos-scrub.js';

export interface HealResult {
  readonly drain: HintDrain;
  /** history clock (ms) when every node was up again and the workload had stopped */
  readonly startedAt: number;
  /** history clock (ms) of the last restart or resume, if there was a fault */
  readonly lastRecoveryAt: number | undefined;
  /** per restart/resume during the run: how the hints for that node drained (polled) */
  readonly recoveries: readonly HintRecovery[];
  /** per fault: how fast the other nodes saw the node down, and up again (polled) */
  readonly detections: readonly Detection[];
}

/**
 * Seconds from the last restart/resume until no hint was pending anywhere:
 * from the polls when they saw it, else bounded by the end of the final wait.
 */
export function drainAfterLastRecoveryMs(h: HealResult): number | undefined {
  if (h.lastRecoveryAt === undefined || !h.drain.drained) return undefined;
  const last = h.recoveries.at(-1);
  const end = h.startedAt + h.drain.elapsedMs;
  if (last !== undefined && last.backAt === h.lastRecoveryAt && last.drainedAt !== undefined && totalHints(h.drain.atStart) === 0) {
    return last.drainedAt - last.backAt;
  }
  return end - h.lastRecoveryAt;
}

/** What the nodes found of the `corrupt` fault's damage (runs with corrupt among the faults). */
export interface CorruptionReport {
  /** summed over every node process of the run (each read just before it was killed, and at the end) */
  readonly found: CorruptionCounters;
  readonly byNode: Readonly<Record<string, CorruptionCounters>>;
  /** nodes whose counters could not be read before a kill: their finds are missing from `found` */
  readonly unread: readonly string[];
  /** the scrub of every node after healing, before the final reads */
  readonly scrub: readonly ScrubResult[];
  /** nodes that had not repaired every damaged record they found when the final reads began */
  readonly behind: readonly string[];
}

export interface ChaosReport {
  readonly config: ChaosConfig;
  readonly seed: number | undefined;
  /** undefined with --check (no run) */
  readonly heal: HealResult | undefined;
  readonly requests: RequestStats;
  readonly check: CheckResult;
  readonly faults: readonly HistoryEvent[];
  /** only with the corrupt fault (and not with --check) */
  readonly corruption?: CorruptionReport;
  /** a run-level failure (a node that would not come back, hints not drained, …) */
  readonly failures: readonly string[];
  readonly passed: boolean;
  readonly historyFile: string | undefined;
  readonly keptDir: string | undefined;
}

/** Why the run fails, from the figures: empty when it passes. */
export function judge(config: ChaosConfig, check: CheckResult, requests: RequestStats, heal: HealResult | undefined): string[] {
  const out: string[] = [];
  const count = (kind: Violation['kind']): number => check.violations.filter((v) => v.kind === kind).length;
  if (check.puts.lost > 0) out.push(`${check.puts.lost} acknowledged write${check.puts.lost === 1 ? '' : 's'} lost`);
  const resurrected = count('resurrected-key');
  if (resurrected > 0) out.push(`${resurrected} deleted key${resurrected === 1 ? '' : 's'} resurrected`);
  const back = count('superseded-value-back');
  if (back > 0) out.push(`${back} superseded value${back === 1 ? '' : 's'} came back`);
  const phantoms = count('phantom-value');
  if (phantoms > 0) out.push(`${phantoms} value${phantoms === 1 ? '' : 's'} read that no acknowledged-or-pending write wrote`);
  const unreadable = count('unreadable-key');
  if (unreadable > 0) out.push(`${unreadable} key${unreadable === 1 ? '' : 's'} could not be read after healing`);
  if (check.problems.length > 0) out.push(`the history is malformed (${check.problems.length} problem${check.problems.length === 1 ? '' : 's'})`);
  if (heal !== undefined && !heal.drain.drained) out.push(`hints did not drain within ${config.healTimeout} s (${totalHints(heal.drain.atEnd)} pending)`);
  if (config.minSuccess > 0 && requests.liveSuccessRate * 100 < config.minSuccess) {
    out.push(`${pct(requests.liveSuccessRate)} of requests to live coordinators succeeded, below --min-success ${config.minSuccess}%`);
  }
  return out;
}

const pct = (x: number): string => `${(Math.floor(x * 10000) / 100).toFixed(2)}%`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const tOf = (ms: number): string => `t=${(ms / 1000).toFixed(1).padStart(5)}s`;

function countsRow(name: string, c: OutcomeCounts): string[] {
  return [name, String(c.sent), String(c.ok), String(c.fail), String(c.info), ...(c.pending > 0 ? [String(c.pending)] : [])];
}

function kinds(k: Readonly<Record<string, number>>): string {
  const entries = Object.entries(k).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? 'none' : entries.map(([kind, n]) => `${kind} x${n}`).join(', ');
}

function hintsLine(byNode: HintDrain['atStart']): string {
  const parts = Object.entries(byNode)
    .filter(([, h]) => h === undefined || Object.keys(h).length > 0)
    .map(([id, h]) => (h === undefined ? `${id}: no answer` : `${id}→{${Object.entries(h).map(([t, n]) => `${t}: ${n}`).join(', ')}}`));
  return parts.length === 0 ? 'none' : parts.join('  ');
}

/** The fault loop's steps, one line each. */
export function faultLog(events: readonly HistoryEvent[]): string[] {
  const lines: string[] = [];
  const invokedAt = new Map<string, number>();
  for (const e of events) {
    if (e.client !== NEMESIS) continue;
    const k = `${e.op}/${e.node}`;
    if (e.phase === 'invoke') {
      invokedAt.set(k, e.t);
      continue;
    }
    const from = invokedAt.get(k) ?? e.t;
    const pid = e.pid === undefined ? '' : ` (pid ${e.pid})`;
    const skipped = e.error?.startsWith('skipped: ') === true;
    if (e.phase !== 'ok') lines.push(`${tOf(from)}  ${e.op} ${e.node} ${skipped ? `SKIPPED: ${e.error?.slice('skipped: '.length)}` : `FAILED: ${e.error ?? e.phase}`}`);
    else if (e.op === 'kill') lines.push(`${tOf(from)}  kill -9 ${e.node}${pid}`);
    else if (e.op === 'wipe') lines.push(`${tOf(from)}  kill -9 ${e.node}${pid} and wipe its data`);
    else if (e.op === 'corrupt') lines.push(`${tOf(from)}  compact, kill -9 ${e.node}${pid}; ${e.detail ?? ''}`);
    else if (e.op === 'pause') lines.push(`${tOf(from)}  SIGSTOP ${e.node}${pid}`);
    else if (e.op === 'resume') lines.push(`${tOf(from)}  SIGCONT ${e.node}`);
    else if (e.op === 'partition' || e.op === 'isolate' || e.op === 'bridge') lines.push(`${tOf(from)}  ${e.op}: cut ${e.node}`);
    else if (e.op === 'heal') lines.push(`${tOf(from)}  heal ${e.node}`);
    else if (e.op === 'degrade') lines.push(`${tOf(from)}  degrade ${e.detail ?? e.node}`);
    else if (e.op === 'clock') lines.push(`${tOf(from)}  clock of ${e.node} jumps ${e.detail ?? ''}`);
    else if (e.op === 'clock-back') lines.push(`${tOf(from)}  clock of ${e.node} jumps back ${e.detail ?? ''}`);
    else lines.push(`${tOf(from)}  restart ${e.node}: ready after ${secs(e.t - from)}${pid}`);
  }
  return lines;
}

const FAULT_OPS: ReadonlySet<string> = new Set(['kill', 'pause', 'wipe', 'corrupt', 'partition', 'isolate', 'bridge', 'degrade', 'clock']);

export function formatChaosReport(r: ChaosReport, violationsShown = 20): string {
  const c = r.config;
  const L: string[] = [];
  if (c.check === undefined) {
    const faults = c.killEvery > 0 ? `${c.faults.join('/')} one node every ${c.killEvery} s for ${c.downFor} s` : 'no faults';
    const policy = c.policy === 'lww' ? ', policy LWW on every key (negative control: expect lost writes)' : '';
    L.push(
      `ringkv chaos: ${c.nodes} nodes N=${c.n} R=${c.r} W=${c.w}, ${c.clients} clients (${c.keysOwn} own keys each, ${c.keysShared} shared), ${c.duration} s, ${faults}${policy}, seed ${r.seed ?? '?'}`,
    );
  } else {
    L.push(`ringkv chaos: checking ${c.check}`);
  }
  L.push('', `faults (${r.faults.filter((e) => e.phase === 'invoke' && FAULT_OPS.has(e.op)).length}):`);
  const log = faultLog(r.faults);
  L.push(...(log.length === 0 ? ['  none'] : log.map((l) => `  ${l}`)));

  const q = r.requests;
  L.push('', 'requests:');
  const rows = [['', 'SENT', 'OK', 'FAILED', 'UNKNOWN', ...(q.all.pending > 0 ? ['UNANSWERED'] : [])]];
  rows.push(countsRow('get', q.byOp.get), countsRow('put', q.byOp.put), countsRow('delete', q.byOp.delete), countsRow('all', q.all));
  L.push(...formatTable(rows).split('\n').map((l) => `  ${l}`));
  L.push(
    `  to live coordinators: ${pct(q.liveSuccessRate)} succeeded (${q.live.ok} of ${q.live.sent}); not ok: ${kinds(q.liveErrorKinds)}`,
    `  coordinator killed or paused mid-request (not counted above): ${q.faultedCoordinator.sent} ` +
      `(${q.faultedCoordinator.ok} ok, ${q.faultedCoordinator.fail} failed, ${q.faultedCoordinator.info} unknown; ${kinds(q.faultedErrorKinds)})`,
  );

  if (r.heal !== undefined) {
    const h = r.heal;
    if (h.detections.length > 0) {
      L.push('', 'failure detection (every other node\'s /status, polled every 0.5 s):');
      const after = (from: number, to: number | undefined): string => (to === undefined ? 'not seen' : `${secs(to - from)}`);
      for (const d of h.detections) {
        const up = d.backAt === undefined ? '' : `; seen alive by all ${after(d.backAt, d.seenUpAt)} after its return`;
        L.push(`  ${d.node} down at ${tOf(d.downAt)}: seen suspect/dead by all ${after(d.downAt, d.seenDownAt)} after${up}`);
      }
      const downs = h.detections.filter((d) => d.seenDownAt !== undefined).map((d) => (d.seenDownAt ?? 0) - d.downAt);
      const ups = h.detections.filter((d) => d.seenUpAt !== undefined && d.backAt !== undefined).map((d) => (d.seenUpAt ?? 0) - (d.backAt ?? 0));
      const missed = h.detections.filter((d) => d.seenDownAt === undefined || (d.backAt !== undefined && d.seenUpAt === undefined)).length;
      L.push(`  worst: seen down after ${downs.length === 0 ? '-' : secs(Math.max(...downs))}, seen alive after ${ups.length === 0 ? '-' : secs(Math.max(...ups))}${missed > 0 ? `; ${missed} not seen within the fault window` : ''}`);
    }
    L.push('', 'healing:');
    if (h.recoveries.length > 0) {
      L.push('  hints held for each node after it came back (all nodes polled every 0.5 s):');
      for (const x of h.recoveries) {
        const drained = x.drainedAt === undefined ? 'not seen drained before its next fault' : `none left at ${tOf(x.drainedAt)}, ${secs(x.drainedAt - x.backAt)} after`;
        L.push(`    ${x.node} back at ${tOf(x.backAt)}: peak ${x.peak}, ${drained}`);
      }
    }
    L.push(`  hints pending when the workload and the faults stopped (${tOf(h.startedAt)}): ${totalHints(h.drain.atStart)}  ${hintsLine(h.drain.atStart)}`);
    if (h.drain.drained) {
      const after = drainAfterLastRecoveryMs(h);
      const sinceLast = after === undefined || h.lastRecoveryAt === undefined ? '' : `; ${secs(after)} after the last restart/resume (${tOf(h.lastRecoveryAt)})`;
      L.push(`  no hints pending ${secs(h.drain.elapsedMs)} after the stop${sinceLast}; limit ${c.healTimeout} s`);
    } else {
      L.push(`  hints NOT drained after ${secs(h.drain.elapsedMs)}: ${totalHints(h.drain.atEnd)} pending  ${hintsLine(h.drain.atEnd)}`);
    }
    L.push(`  hints pending at the end: ${totalHints(h.drain.atEnd)}`);
    if (h.drain.recoveringAtDrain.length > 0) {
      const still = h.drain.recoveringAtEnd.length === 0 ? 'all serving reads again' : `still recovering: ${h.drain.recoveringAtEnd.join(', ')}`;
      L.push(`  nodes refusing reads while recovering (anti-entropy) once hints drained: ${h.drain.recoveringAtDrain.join(', ')}; waited ${secs(h.drain.recoveryWaitMs)}, ${still}`);
    }
  }

  if (r.corruption !== undefined) L.push('', ...corruptionLines(r.corruption, r.faults));

  const k = r.check;
  const viol = (kind: Violation['kind']): number => k.violations.filter((v) => v.kind === kind).length;
  L.push('', `check (${k.keys} keys, each read with R=N after healing):`);
  L.push(
    `  acknowledged writes checked: ${k.puts.acked}  present: ${k.puts.ackedPresent}  superseded: ${k.puts.ackedSuperseded}  LOST: ${k.puts.lost}`,
    `  writes with unknown outcome: ${k.puts.unknown} (${k.puts.unknownPresent} present at the end); certainly failed: ${k.puts.failed}`,
    `  deletes acknowledged: ${k.deletes.acked} (unknown ${k.deletes.unknown}, failed ${k.deletes.failed}); keys that must read 404: ${k.keysDeleted}; resurrected: ${viol('resurrected-key')}`,
    `  superseded values back: ${viol('superseded-value-back')}  phantom values (read, but no client wrote them to that key): ${viol('phantom-value')}  unreadable keys: ${viol('unreadable-key')}`,
  );
  if (k.changedBetweenFinalReads.length > 0) {
    L.push(`  (${k.changedBetweenFinalReads.length} key(s) read differently in the two final rounds: ${k.changedBetweenFinalReads.slice(0, 10).join(', ')})`);
  }
  if (k.violations.length > 0) {
    L.push('', `violations (${k.violations.length}${k.violations.length > violationsShown ? `, first ${violationsShown}` : ''}):`);
    for (const v of k.violations.slice(0, violationsShown)) L.push(`  ${v.kind} ${v.key}${v.value === undefined ? '' : ` ${v.value}`}: ${v.detail}`);
  }
  if (k.problems.length > 0) {
    L.push('', `history problems (${k.problems.length}):`);
    for (const p of k.problems.slice(0, violationsShown)) L.push(`  ${p}`);
  }
  if (r.historyFile !== undefined) L.push('', `history: ${r.historyFile}`);
  if (r.keptDir !== undefined) L.push(`kept ${r.keptDir} (node data, logs${r.historyFile?.startsWith(r.keptDir) === true ? ', history' : ''})`);
  L.push('', r.passed ? 'PASS' : `FAIL: ${r.failures.join('; ')}`, '');
  return L.join('\n');
}

/** The bits the corrupt fault flipped, and what the nodes found of them. */
export function corruptionLines(c: CorruptionReport, faults: readonly HistoryEvent[]): string[] {
  const done = faults.filter((e) => e.op === 'corrupt' && e.phase !== 'invoke');
  const flipped = done.filter((e) => e.phase === 'ok').length;
  const skipped = done.filter((e) => e.phase !== 'ok' && e.error?.startsWith('skipped: ') === true).length;
  const failed = done.length - flipped - skipped;
  const f = c.found;
  const perNode = Object.entries(c.byNode)
    .filter(([, n]) => n.records + n.hints > 0)
    .map(([id, n]) => `${id} ${n.records}${n.hints > 0 ? `+${n.hints} hints` : ''}/${n.repaired}`);
  const scrubbed = c.scrub.filter((s) => s.corrupt !== undefined);
  const scrubFailed = c.scrub.filter((s) => s.corrupt === undefined);
  const L = [
    `disk corruption (corrupt fault: ${flipped} bit${flipped === 1 ? '' : 's'} flipped in stored values, ${skipped} skipped${failed > 0 ? `, ${failed} failed` : ''}):`,
    `  damaged copies the nodes found: ${f.records} record${f.records === 1 ? '' : 's'}, ${f.hints} hint${f.hints === 1 ? '' : 's'}; repaired from the other replicas: ${f.repaired}` +
      (perNode.length > 0 ? `  (found/repaired: ${perNode.join(', ')})` : ''),
    `  scrub of every node before the final reads: ${scrubbed.reduce((s, x) => s + (x.corrupt ?? 0), 0)} damaged record(s) found in ${scrubbed.reduce((s, x) => s + (x.records ?? 0), 0)} read` +
      (scrubbed.some((s) => (s.corrupt ?? 0) > 0) ? ` (${scrubbed.filter((s) => (s.corrupt ?? 0) > 0).map((s) => `${s.node} ${s.corrupt ?? 0}`).join(', ')})` : '') +
      (scrubFailed.length > 0 ? `; scrub FAILED on ${scrubFailed.map((s) => `${s.node} (${s.error ?? '?'})`).join(', ')}` : ''),
  ];
  if (flipped > 0 && f.records + f.hints === 0) L.push('  NOTE: bits were flipped but no node reported a damaged copy (a flipped copy shadowed by a newer write is never read)');
  if (c.behind.length > 0) L.push(`  not every damaged record was repaired when the final reads began: ${c.behind.join(', ')}`);
  if (c.unread.length > 0) L.push(`  counters not read before a kill (their finds are missing above): ${c.unread.join(', ')}`);
  return L;
}

export function chaosReportJson(r: ChaosReport): string {
  return `${JSON.stringify(
    {
      passed: r.passed,
      failures: r.failures,
      seed: r.seed ?? null,
      config: r.config.check === undefined ? r.config : { check: r.config.check, minSuccess: r.config.minSuccess },
      faultLog: faultLog(r.faults),
      faults: r.faults,
      requests: { ...r.requests, liveSuccessRate: Math.round(r.requests.liveSuccessRate * 1e6) / 1e6 },
      heal:
        r.heal === undefined
          ? null
          : {
              drained: r.heal.drain.drained,
              drainMs: Math.round(r.heal.drain.elapsedMs),
              drainAfterLastRecoveryMs: ((ms) => (ms === undefined ? null : Math.round(ms)))(drainAfterLastRecoveryMs(r.heal)),
              recoveries: r.heal.recoveries,
              detections: r.heal.detections,
              recoveringAtDrain: r.heal.drain.recoveringAtDrain,
              recoveringAtEnd: r.heal.drain.recoveringAtEnd,
              recoveryWaitMs: Math.round(r.heal.drain.recoveryWaitMs),
              hintsAtStart: r.heal.drain.atStart,
              hintsAtEnd: r.heal.drain.atEnd,
            },
      check: r.check,
      corruption: r.corruption ?? null,
      historyFile: r.historyFile ?? null,
      keptDir: r.keptDir ?? null,
    },
    null,
    2,
  )}\n`;
}
