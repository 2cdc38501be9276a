import { NEMESIS, isWorkloadClient, pairOps, type HistoryEvent } from './chaos-history.js';

/** A stretch of time during which a node was not serving: killed (or corrupted) and not yet restarted, or paused. */
export interface FaultWindow {
  readonly node: string;
  readonly kind: 'kill' | 'pause' | 'wipe' | 'corrupt';
  readonly from: number;
  /** when it served again (restart ready, or SIGCONT sent); undefined if it never did */
  readonly to: number | undefined;
}

export interface OutcomeCounts {
  sent: number;
  ok: number;
  fail: number;
  info: number;
  /** invoked but never answered (only when a run is cut short) */
  pending: number;
}

export interface RequestStats {
  readonly all: OutcomeCounts;
  readonly byOp: Readonly<Record<'get' | 'put' | 'delete', OutcomeCounts>>;
  /** requests whose coordinator was up for the whole request: the availability the cluster offers */
  readonly live: OutcomeCounts;
  /** requests whose coordinator was killed or paused while they were in flight (excluded from `live`) */
  readonly faultedCoordinator: OutcomeCounts;
  /** ok / sent over `live` (1 when nothing was sent) */
  readonly liveSuccessRate: number;
  /** failures and unknown outcomes by error code or HTTP status, with counts (live coordinators only) */
  readonly liveErrorKinds: Readonly<Record<string, number>>;
  readonly faultedErrorKinds: Readonly<Record<string, number>>;
}

const zero = (): OutcomeCounts => ({ sent: 0, ok: 0, fail: 0, info: 0, pending: 0 });

/** Kill→restart and pause→resume windows from the fault loop's events. */
export function faultWindows(events: readonly HistoryEvent[]): FaultWindow[] {
  const windows: FaultWindow[] = [];
  const open = new Map<string, { kind: FaultWindow['kind']; from: number }>();
  for (const e of events) {
    if (e.client !== NEMESIS) continue;
    if ((e.op === 'kill' || e.op === 'pause' || e.op === 'wipe' || e.op === 'corrupt') && e.phase === 'invoke') {
      if (!open.has(e.node)) open.set(e.node, { kind: e.op, from: e.t });
    } else if ((e.op === 'restart' || e.op === 'resume') && e.phase === 'ok') {
      const w = open.get(e.node);
      if (w !== undefined) windows.push({ node: e.node, kind: w.kind, from: w.from, to: e.t });
      open.delete(e.node);
    }
  }
  for (const [node, w] of open) windows.push({ node, kind: w.kind, from: w.from, to: undefined });
  return windows.sort((a, b) => a.from - b.from);
}

/** Counts the workload's requests, separating those whose coordinator was being killed or paused. */
export function requestStats(events: readonly HistoryEvent[]): RequestStats {
  const windows = faultWindows(events);
  const all = zero();
  const live = zero();
  const faulted = zero();
  const byOp = { get: zero(), put: zero(), delete: zero() };
  const liveErrorKinds: Record<string, number> = {};
  const faultedErrorKinds: Record<string, number> = {};
  for (const { invoke, done } of pairOps(events.filter((e) => isWorkloadClient(e.client))).ops) {
    if (invoke.op !== 'get' && invoke.op !== 'put' && invoke.op !== 'delete') continue;
    const start = invoke.t;
    const end = done?.t ?? Number.POSITIVE_INFINITY;
    const hit = windows.some((w) => w.node === invoke.node && w.from <= end && (w.to ?? Number.POSITIVE_INFINITY) >= start);
    const outcome = done === undefined ? 'pending' : done.phase === 'invoke' ? 'pending' : done.phase;
    for (const c of [all, byOp[invoke.op], hit ? faulted : live]) {
      c.sent++;
      c[outcome]++;
    }
    if (done !== undefined && done.phase !== 'ok') {
      const kind = done.error ?? (done.status === undefined ? 'error' : `HTTP ${done.status}`);
      const kinds = hit ? faultedErrorKinds : liveErrorKinds;
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
  }
  return {
    all,
    byOp,
    live,
    faultedCoordinator: faulted,
    liveSuccessRate: live.sent === 0 ? 1 : live.ok / live.sent,
    liveErrorKinds,
    faultedErrorKinds,
  };
}
