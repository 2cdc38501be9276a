import { describe, expect, it } from 'vitest';
import { ClusterMonitor } from './chaos-monitor.js';
import type { NodeHealth } from './chaos-node-status.js';

const seen = (states: Record<string, string>, hints: Record<string, number> = {}): NodeHealth => ({ hints, recovering: false, members: states });

/** A monitor fed by hand: n2 is killed at 1000 and back at 6000. */
function monitor(): ClusterMonitor {
  const m = new ClusterMonitor(() => [], () => 0);
  const at = (t: number, nodes: Record<string, NodeHealth | undefined>): void => {
    m.samples.push({ t, nodes });
  };
  at(500, { n1: seen({ n2: 'alive' }), n3: seen({ n2: 'alive' }) });
  at(1500, { n1: seen({ n2: 'suspect' }, { n2: 3 }), n3: seen({ n2: 'alive' }) });
  at(2500, { n1: seen({ n2: 'dead' }, { n2: 9 }), n3: seen({ n2: 'suspect' }, { n2: 4 }) });
  at(6500, { n1: seen({ n2: 'alive' }, { n2: 2 }), n2: seen({ n2: 'alive' }), n3: seen({ n2: 'dead' }) });
  at(7000, { n1: seen({ n2: 'alive' }), n2: undefined, n3: seen({ n2: 'alive' }) });
  at(7500, { n1: seen({ n2: 'alive' }), n2: seen({ n2: 'alive' }), n3: seen({ n2: 'alive' }) });
  return m;
}

describe('ClusterMonitor', () => {
  it('finds when every other node saw a fault and the return', () => {
    expect(monitor().detections([{ node: 'n2', downAt: 1000, backAt: 6000 }])).toEqual([
      { node: 'n2', downAt: 1000, seenDownAt: 2500, backAt: 6000, seenUpAt: 7000 },
    ]);
  });

  it('finds the peak of the hints held for a node and the first complete sample without any', () => {
    // 7000 has no answer from n2, so its zero proves nothing: 7500 is the first proof.
    expect(monitor().recoveries([{ node: 'n2', downAt: 1000, backAt: 6000 }])).toEqual([{ node: 'n2', backAt: 6000, peak: 13, drainedAt: 7500 }]);
  });

  it('says nothing was seen when the samples never show it', () => {
    const d = monitor().detections([{ node: 'n3', downAt: 100, backAt: 400 }]);
    expect(d[0]).toMatchObject({ seenDownAt: undefined, seenUpAt: undefined });
  });
});
