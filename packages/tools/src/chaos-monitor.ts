import { readNodeHealth, type NodeHealth } from './chaos-node-status.js';

/** One poll of every serving node's /status, on the history clock. */
export interface ClusterSample {
  readonly t: number;
  /** observer id → what it said (undefined: no answer) */
  readonly nodes: Readonly<Record<string, NodeHealth | undefined>>;
}

/** How the hints for one recovered node drained after it came back. */
export interface HintRecovery {
  readonly node: string;
  /** history clock of the restart or resume */
  readonly backAt: number;
  /** the most hints held for it, summed over the nodes polled, while it was down or draining */
  readonly peak: number;
  /** first complete sample after `backAt` with none left (undefined: not seen before its next fault or the end) */
  readonly drainedAt: number | undefined;
}

/** How quickly the other nodes noticed one fault and the return. */
export interface Detection {
  readonly node: string;
  readonly downAt: number;
  /** first sample in which every other answering node saw it suspect or dead */
  readonly seenDownAt: number | undefined;
  readonly backAt: number | undefined;
  /** first sample after `backAt` in which every other answering node saw it alive */
  readonly seenUpAt: number | undefined;
}

/** A fault as the fault loop's history tells it. */
export interface FaultSpan {
  readonly node: string;
  readonly downAt: number;
  readonly backAt: number | undefined;
}

/**
 * Polls the serving nodes' /status during the run (every 0.5 s by default),
 * so the report can say how fast each fault was noticed, how fast the return
 * was, and how long the hints for a restarted node took to be delivered —
 * the figures issue 3 asks for — not only whether hints were gone at the end.
 */
export class ClusterMonitor {
  readonly samples: ClusterSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly nodes: () => readonly { id: string; url: string }[],
    private readonly clock: () => number,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const t = this.clock();
      const polled = this.nodes();
      const results = await Promise.all(polled.map((n) => readNodeHealth(n.url, 1000)));
      this.samples.push({ t, nodes: Object.fromEntries(polled.map((n, i) => [n.id, results[i]])) });
    } finally {
      this.busy = false;
    }
  }

  /**
   * For each fault that ended (in time order), the peak of the hints held for
   * the node and the first complete sample after its return with none left
   * (an upper bound, to the polling interval). The window ends at the same
   * node's next fault.
   */
  recoveries(spans: readonly FaultSpan[]): HintRecovery[] {
    const ended = spans.filter((s): s is FaultSpan & { backAt: number } => s.backAt !== undefined);
    return ended.map((b, i) => {
      const nextFault = ended.slice(i + 1).find((x) => x.node === b.node)?.downAt ?? Number.POSITIVE_INFINITY;
      let peak = 0;
      let drainedAt: number | undefined;
      for (const s of this.samples) {
        if (s.t < b.downAt || s.t >= nextFault) continue;
        const answers = Object.values(s.nodes);
        const held = answers.reduce((sum, h) => sum + (h?.hints[b.node] ?? 0), 0);
        peak = Math.max(peak, held);
        const complete = answers.every((h) => h !== undefined);
        if (s.t >= b.backAt && held === 0 && complete && drainedAt === undefined) drainedAt = s.t;
      }
      return { node: b.node, backAt: b.backAt, peak, drainedAt };
    });
  }

  /** For each fault, when every other node saw the node down, and after its return, alive. */
  detections(spans: readonly FaultSpan[]): Detection[] {
    return spans.map((f) => {
      const end = f.backAt ?? Number.POSITIVE_INFINITY;
      const all = (s: ClusterSample, ok: (state: string | undefined) => boolean): boolean => {
        const others = Object.entries(s.nodes).filter(([id, h]) => id !== f.node && h !== undefined);
        return others.length > 0 && others.every(([, h]) => ok(h?.members[f.node]));
      };
      const seenDownAt = this.samples.find((s) => s.t >= f.downAt && s.t < end && all(s, (st) => st !== undefined && st !== 'alive'))?.t;
      const seenUpAt = f.backAt === undefined ? undefined : this.samples.find((s) => s.t >= end && all(s, (st) => st === 'alive'))?.t;
      return { node: f.node, downAt: f.downAt, seenDownAt, backAt: f.backAt, seenUpAt };
    });
  }
}
