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
 * it was not running. A forward step of the wall clock looks the same and is
 * left out the same way; a backward step is seen at the next `expectBy` (the
 * clock reads less than at the one before), and running time then goes on
 * from where it was rather than back — otherwise every peer's silence would
 * read negative and a dead peer pass for alive for as long as the step.
 * Pure: the caller passes the clock readings.
 */
export class RunningTime {
  /** wall-clock time minus running time, settled at the last `expectBy`: time not running, less backward steps */
  private offsetMs = 0;
  private deadline: number | undefined;
  private lastNow: number | undefined;

  /**
   * The node is running at `now` and will run again by `by`. Returns how
   * long it was stopped since the last deadline (0 when it was on time).
   */
  expectBy(now: number, by: number): number {
    const late = this.lateness(now);
    this.offsetMs += late;
    // the clock stepped back: carry on from the last reading (the time since it is not known; at most a round)
    if (this.lastNow !== undefined && now < this.lastNow) this.offsetMs -= this.lastNow - now;
    this.lastNow = now;
    this.deadline = by;
    return late;
  }

  /**
   * Running time at wall-clock `now`. Past the deadline it stands still: the
   * node is either stopped or just woke and has not yet run its periodic work,
   * and in both cases has not been listening since the deadline.
   */
  at(now: number): number {
    return now - this.offsetMs - this.lateness(now);
  }

  private lateness(now: number): number {
    return this.deadline === undefined ? 0 : Math.max(0, now - this.deadline);
  }
}
