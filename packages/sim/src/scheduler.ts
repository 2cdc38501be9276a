/**
 * Simulated time: a queue of events ordered by (time, sequence). Running an
 * event lets every promise continuation it caused settle before the next
 * event starts, so async node code interleaves in one reproducible order.
 */
interface SimEvent {
  readonly time: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Simulated wall clock starts at a realistic epoch so timestamps look like real ones. */
export const simEpochMs = 1_767_225_600_000; // 2026-01-01T00:00:00Z

const drainMicrotasks = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

export class Scheduler {
  private heap: SimEvent[] = [];
  private seq = 0;
  private time = simEpochMs;
  eventsRun = 0;

  get now(): number {
    return this.time;
  }

  get elapsedMs(): number {
    return this.time - simEpochMs;
  }

  get pending(): number {
    return this.heap.length;
  }

  schedule(delayMs: number, fn: () => void): () => void {
    const ev: SimEvent = { time: this.time + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.push(ev);
    return () => {
      ev.cancelled = true;
    };
  }

  /** Runs events until simulated time passes `untilMs` (absolute) or nothing is left. */
  async runUntil(untilMs: number, maxEvents = Number.POSITIVE_INFINITY): Promise<void> {
    await drainMicrotasks();
    let budget = maxEvents;
    while (this.heap.length > 0 && budget-- > 0) {
      const top = this.heap[0] as SimEvent;
      if (top.time > untilMs) break;
      this.pop();
      if (top.cancelled) continue;
      this.time = top.time;
      this.eventsRun++;
      top.fn();
      await drainMicrotasks();
    }
    if (this.time < untilMs) this.time = untilMs;
  }

  async runFor(ms: number): Promise<void> {
    await this.runUntil(this.time + ms);
  }

  /** Runs until the promise settles (or the time limit passes); returns whether it settled. */
  async settle<T>(p: Promise<T>, limitMs: number): Promise<{ done: true; value: T } | { done: false }> {
    let state: { done: true; value: T } | { done: false } | { failed: unknown } = { done: false };
    p.then(
      (value) => (state = { done: true, value }),
      (err: unknown) => (state = { failed: err }),
    );
    const deadline = this.time + limitMs;
    await drainMicrotasks();
    while (!('failed' in state) && !state.done && this.heap.length > 0 && this.time <= deadline) {
      const top = this.heap[0] as SimEvent;
      if (top.time > deadline) break;
      this.pop();
      if (top.cancelled) continue;
      this.time = top.time;
      this.eventsRun++;
      top.fn();
      await drainMicrotasks();
    }
    if ('failed' in state) throw state.failed;
    return state;
  }

  private push(ev: SimEvent): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i] as SimEvent, h[parent] as SimEvent)) break;
      [h[i], h[parent]] = [h[parent] as SimEvent, h[i] as SimEvent];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as SimEvent;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l] as SimEvent, h[m] as SimEvent)) m = l;
      if (r < h.length && before(h[r] as SimEvent, h[m] as SimEvent)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as SimEvent, h[i] as SimEvent];
      i = m;
    }
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
