/**
 * A node's own running time: wall-clock time minus the spans in which the
 * node itself was not running (stopped by SIGSTOP, a long GC pause, a stuck
 * VM, an event loop blocked for seconds). The failure detector measures a
 * peer's silence in it, so a node that wakes from a pause does not take its
 * own deafness for its peers' death: while it was stopped it could not have
 * heard them, and the requests that waited for it in its sockets would
 * otherwise be refused for want of live replicas (a real 3-node cluster did:
 * cluster-local-pause.test.ts). Cassandra's failure detector ignores local
 * pauses for the same reason (CASSANDRA-9183).
 *
 * A pause is seen as lateness: the node's periodic work says by when it will
 * run again (`expectBy`); any time past that deadline before it does is time
 * it was not running. Pure: the caller passes the clock readings.
 */
export class RunningTime {
  /** time counted as not running, settled at the last `expectBy` */
  private stoppedMs = 0;
  private deadline: number | undefined;

  /**
   * The node is running at `now` and will run again by `by`. Returns how
   * long it was stopped since the last deadline (0 when it was on time).
   */
  expectBy(now: number, by: number): number {
    const late = this.lateness(now);
    this.stoppedMs += late;
    this.deadline = by;
    return late;
  }

  /**
   * Running time at wall-clock `now`. Past the deadline it stands still: the
   * node is either stopped or just woke and has not yet run its periodic work,
   * and in both cases has not been listening since the deadline.
   */
  at(now: number): number {
    return now - this.stoppedMs - this.lateness(now);
  }

  private lateness(now: number): number {
    return this.deadline === undefined ? 0 : Math.max(0, now - this.deadline);
  }
}
