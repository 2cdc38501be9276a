/**
 * Bookkeeping for one quorum request: who was asked, who answered how, and
 * whether the request can still succeed. Pure: the coordinator feeds it
 * replies and asks what to do.
 */
export type QuorumOutcome = 'pending' | 'met' | 'failed';

export class QuorumTracker<T> {
  private readonly replies = new Map<string, T>();
  private readonly failures = new Map<string, string>();

  constructor(
    /** the replicas asked */
    readonly targets: readonly string[],
    /** how many successful replies are needed */
    readonly needed: number,
  ) {
    if (!Number.isInteger(needed) || needed < 1) throw new Error(`quorum must be ≥ 1 (got ${needed})`);
  }

  /** Records a successful reply; a replica's second reply is ignored. */
  succeed(target: string, reply: T): void {
    if (this.answered(target)) return;
    this.replies.set(target, reply);
  }

  fail(target: string, reason: string): void {
    if (this.answered(target)) return;
    this.failures.set(target, reason);
  }

  answered(target: string): boolean {
    return this.replies.has(target) || this.failures.has(target);
  }

  get okCount(): number {
    return this.replies.size;
  }

  get outcome(): QuorumOutcome {
    if (this.replies.size >= this.needed) return 'met';
    // Can the replicas still outstanding lift us to the quorum?
    const outstanding = this.targets.length - this.replies.size - this.failures.size;
    return this.replies.size + outstanding >= this.needed ? 'pending' : 'failed';
  }

  /** True once every target answered one way or the other. */
  get complete(): boolean {
    return this.replies.size + this.failures.size >= this.targets.length;
  }

  successes(): ReadonlyMap<string, T> {
    return this.replies;
  }

  failureReasons(): ReadonlyMap<string, string> {
    return this.failures;
  }
}
