/** What a coordinator is asked to do and what it answers (the HTTP layer and forwarded requests speak these). */
import type { Dot, Dots, KvRecord } from '@ringkv/core';

export interface ReadRequest {
  readonly key: Uint8Array;
  readonly r: number;
  /** replies needed from primaries themselves (Riak's pr); 0 = fallbacks may answer */
  readonly pr: number;
}

export interface WriteRequest {
  readonly key: Uint8Array;
  /** null deletes */
  readonly value: Uint8Array | null;
  readonly contentType: string;
  /** the client's X-Context ('' = none: concurrent with everything) */
  readonly context: string;
  readonly w: number;
  /** acks needed from primaries themselves (Riak's pw); 0 = hinted fallbacks may stand in */
  readonly pw: number;
  /**
   * acks that must come from replicas that fsynced the write (Riak's dw; 0 or
   * absent = none beyond the nodes' --sync). Every replica written is then asked
   * to fsync, and the write needs max(w, dw) acks.
   */
  readonly dw?: number;
  /** the new version expires this long after the coordinating replica's clock stamps it (PUT ?ttl) */
  readonly ttlMs?: number;
}

export interface WriteResult {
  /** what the writer has now seen: its context plus the version it wrote */
  readonly context: Dots;
  /** the coordinating replica's record after the write (for returnbody) */
  readonly record: KvRecord;
  /** the version this write created */
  readonly dot: Dot;
  /** some of the W acks came from fallbacks: a read of R primaries may not see this write yet */
  readonly sloppy: boolean;
}

export interface ReadResult {
  /**
   * The merge of the replies (undefined: no replica holds the key), with the
   * LWW policy applied and versions expired by this node's clock dropped.
   */
  readonly record: KvRecord | undefined;
  /** some of the R replies came from fallbacks */
  readonly sloppy: boolean;
}

export interface CoordinatorStats {
  gets: number;
  writes: number;
  forwarded: number;
  quorumFailures: number;
  readRepairs: number;
  fallbacksUsed: number;
}
