/**
 * A counter increment as the coordinating replica carries it out: a computed
 * write whose new version is the join of every PN state the replica holds
 * for the key (its data copy and its hinted copy) plus this increment, under
 * this replica's actor. The version supersedes all of it, so siblings of a
 * counter only come from increments coordinated concurrently elsewhere, and
 * the next increment here collapses those it has received.
 */
import { counterStateOf, encodePn, incrementPn, pnCounterContentType, pnValue, type PnCounter } from '@ringkv/core';
import type { ComputeWrite } from './replica-service.js';

export interface IncrementRequest {
  /** the internal counter key (encodeCounterKey) */
  readonly key: Uint8Array;
  readonly delta: number;
  /** window length when this increment may start a window (POST ?ttl) */
  readonly ttlMs?: number | undefined;
  readonly w: number;
  readonly pw: number;
  /** acks that must come from replicas that fsynced the increment (?dw; 0 or absent: none) */
  readonly dw?: number;
}

export interface IncrementResult {
  /** the count after the increment, as the coordinating replica knows it */
  readonly value: number;
  /** when the counter's window ends (ms), null for a plain counter */
  readonly windowEnd: number | null;
  /** some of the W acks came from fallbacks */
  readonly sloppy: boolean;
}

/** One increment's computation; `state` is what it wrote, once the replica ran it. */
export class IncrementStep {
  state: PnCounter | undefined;

  constructor(
    private readonly req: IncrementRequest,
    /** the coordinator's clock when the increment arrived */
    private readonly now: number,
  ) {}

  // The actor comes with the dot: the replica may have renewed it (a corrupt copy) since this step was made.
  readonly compute: ComputeWrite = (local, dot) => {
    const joined = counterStateOf([local.data, local.hint]);
    const state = incrementPn(joined, { actor: dot.actor, dot: dot.counter, delta: this.req.delta, now: this.now, ttlMs: this.req.ttlMs });
    this.state = state;
    return {
      value: encodePn(state),
      contentType: pnCounterContentType,
      writtenAt: this.now,
      // the expiry purge then drops a window's version once the window is over
      ...(state.windowEnd !== null && { expiresAt: state.windowEnd }),
    };
  };

  result(sloppy: boolean): IncrementResult {
    if (this.state === undefined) throw new Error('the increment was not computed');
    return { value: pnValue(this.state, this.now), windowEnd: this.state.windowEnd, sloppy };
  }
}
