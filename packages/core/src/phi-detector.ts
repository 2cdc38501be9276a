/**
 * The phi-accrual failure detector (Hayashibara et al., as in Akka and
 * Cassandra): instead of a yes/no timeout it turns the time since the last
 * heartbeat into a suspicion level phi = -log10(P(a heartbeat this late)),
 * judged against the intervals actually observed, so a member heard through
 * slower gossip paths is not falsely suspected.
 */
export interface PhiSettings {
  /** how many recent intervals to remember */
  readonly windowSize: number;
  /** floor on the standard deviation, so perfectly regular heartbeats don't make phi explode on tiny jitter */
  readonly minStdDevMs: number;
  /** assumed interval before any was observed */
  readonly firstIntervalMs: number;
}

export class ArrivalWindow {
  private readonly intervals: number[] = [];
  private sum = 0;
  private sumSquares = 0;
  private lastAt: number;

  constructor(
    private readonly settings: PhiSettings,
    firstAt: number,
  ) {
    this.lastAt = firstAt;
    // Seed with the expected interval so phi is meaningful from the first heartbeat.
    this.add(settings.firstIntervalMs);
    this.add(settings.firstIntervalMs + settings.minStdDevMs);
  }

  get lastHeartbeatAt(): number {
    return this.lastAt;
  }

  heartbeat(now: number): void {
    const interval = now - this.lastAt;
    this.lastAt = Math.max(this.lastAt, now);
    if (interval > 0) this.add(interval);
  }

  phi(now: number): number {
    const n = this.intervals.length;
    const mean = this.sum / n;
    const variance = Math.max(0, this.sumSquares / n - mean * mean);
    const std = Math.max(Math.sqrt(variance), this.settings.minStdDevMs);
    return phiOf(now - this.lastAt, mean, std);
  }

  private add(interval: number): void {
    this.intervals.push(interval);
    this.sum += interval;
    this.sumSquares += interval * interval;
    if (this.intervals.length > this.settings.windowSize) {
      const old = this.intervals.shift() as number;
      this.sum -= old;
      this.sumSquares -= old * old;
    }
  }
}

/**
 * phi for an elapsed time given the interval distribution, using the
 * logistic approximation of the normal CDF (Akka's), which stays finite and
 * monotone far into the tail.
 */
export function phiOf(elapsedMs: number, meanMs: number, stdDevMs: number): number {
  const y = (elapsedMs - meanMs) / stdDevMs;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  if (elapsedMs > meanMs) return -Math.log10(e / (1 + e));
  return -Math.log10(1 - 1 / (1 + e));
}
