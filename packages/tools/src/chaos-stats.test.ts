import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from './chaos-history.js';
import { faultWindows, requestStats } from './chaos-stats.js';

const ev = (t: number, client: number | string, op: HistoryEvent['op'], phase: HistoryEvent['phase'], node: string, extra: Partial<HistoryEvent> = {}): HistoryEvent => ({
  t,
  client,
  op,
  phase,
  node,
  ...extra,
});

describe('faultWindows', () => {
  it('pairs kill with the restart that brought the node back, pause with resume, and leaves the unfinished open', () => {
    const w = faultWindows([
      ev(100, 'nemesis', 'kill', 'invoke', 'n2'),
      ev(101, 'nemesis', 'kill', 'ok', 'n2'),
      ev(600, 'nemesis', 'restart', 'invoke', 'n2'),
      ev(900, 'nemesis', 'restart', 'ok', 'n2'),
      ev(1000, 'nemesis', 'pause', 'invoke', 'n3'),
      ev(1500, 'nemesis', 'resume', 'ok', 'n3'),
      ev(2000, 'nemesis', 'kill', 'invoke', 'n1'),
    ]);
    expect(w).toEqual([
      { node: 'n2', kind: 'kill', from: 100, to: 900 },
      { node: 'n3', kind: 'pause', from: 1000, to: 1500 },
      { node: 'n1', kind: 'kill', from: 2000, to: undefined },
    ]);
  });
});

describe('faultWindows of the corrupt fault', () => {
  it('counts a corrupted node down from the fault until its restart, skipped or not', () => {
    const w = faultWindows([
      ev(100, 'nemesis', 'corrupt', 'invoke', 'n4'),
      ev(300, 'nemesis', 'corrupt', 'ok', 'n4', { detail: 'flipped bit 3 …' }),
      ev(900, 'nemesis', 'restart', 'ok', 'n4'),
      ev(1000, 'nemesis', 'corrupt', 'invoke', 'n1'),
      ev(1200, 'nemesis', 'corrupt', 'fail', 'n1', { error: 'skipped: none found' }),
      ev(1900, 'nemesis', 'restart', 'ok', 'n1'),
    ]);
    expect(w).toEqual([
      { node: 'n4', kind: 'corrupt', from: 100, to: 900 },
      { node: 'n1', kind: 'corrupt', from: 1000, to: 1900 },
    ]);
  });
});

describe('requestStats', () => {
  it('counts outcomes and keeps requests whose coordinator was killed mid-flight out of the success rate', () => {
    const events: HistoryEvent[] = [
      ev(10, 1, 'put', 'invoke', 'n1', { key: 'k', value: 'c1-0' }),
      ev(20, 1, 'put', 'ok', 'n1', { key: 'k' }),
      ev(30, 2, 'get', 'invoke', 'n2', { key: 'k' }),
      ev(50, 'nemesis', 'kill', 'invoke', 'n2'),
      ev(51, 2, 'get', 'fail', 'n2', { key: 'k', error: 'UND_ERR_SOCKET' }),
      ev(60, 3, 'put', 'invoke', 'n3', { key: 'k', value: 'c3-0' }),
      ev(70, 3, 'put', 'info', 'n3', { key: 'k', status: 503, error: 'QUORUM_NOT_MET' }),
      ev(80, 1, 'delete', 'invoke', 'n1', { key: 'k', value: 'c1-1', ctx: 'X' }),
      ev(90, 1, 'delete', 'ok', 'n1', { key: 'k' }),
      ev(95, 'final-0', 'get', 'invoke', 'n1', { key: 'k' }),
      ev(96, 'final-0', 'get', 'ok', 'n1', { key: 'k', values: [] }),
      ev(500, 'nemesis', 'restart', 'ok', 'n2'),
      // after the restart, n2 counts as live again
      ev(510, 4, 'get', 'invoke', 'n2', { key: 'k' }),
      ev(520, 4, 'get', 'ok', 'n2', { key: 'k', values: [] }),
    ];
    const s = requestStats(events);
    expect(s.all).toEqual({ sent: 5, ok: 3, fail: 1, info: 1, pending: 0 });
    expect(s.byOp.put).toEqual({ sent: 2, ok: 1, fail: 0, info: 1, pending: 0 });
    expect(s.faultedCoordinator).toEqual({ sent: 1, ok: 0, fail: 1, info: 0, pending: 0 });
    expect(s.live).toEqual({ sent: 4, ok: 3, fail: 0, info: 1, pending: 0 });
    expect(s.liveSuccessRate).toBe(0.75);
    expect(s.liveErrorKinds).toEqual({ QUORUM_NOT_MET: 1 });
    expect(s.faultedErrorKinds).toEqual({ UND_ERR_SOCKET: 1 });
  });

  it('counts a request never answered as pending', () => {
    const s = requestStats([ev(1, 1, 'get', 'invoke', 'n1', { key: 'k' })]);
    expect(s.all.pending).toBe(1);
    expect(s.liveSuccessRate).toBe(0);
  });
});
