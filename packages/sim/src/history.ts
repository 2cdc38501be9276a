import type { Dot, Dots } from '@ringkv/core';

/** A PN-counter state summed: every positive delta it holds (p) and every negative one as a positive number (n). */
export interface CounterTotals {
  readonly p: number;
  readonly n: number;
}

/** put/del/get on /kv keys; incr/cget add to and read a PN-counter (counter-checker.ts). */
export type OpKind = 'put' | 'del' | 'get' | 'incr' | 'cget';

/**
 * One client operation as a Jepsen-style history records it. `info` means
 * the outcome is unknown (timeout, quorum failure after a partial write, or
 * the coordinator died): the write may or may not have been applied.
 */
export interface HistoryOp {
  readonly id: number;
  readonly client: number;
  readonly node: string;
  readonly kind: OpKind;
  readonly key: string;
  /** the unique value a put wrote */
  readonly value?: string;
  /** what an incr added (never 0) */
  readonly delta?: number;
  /** the R of a get/cget or the W of a put/del/incr, when the op chose its own (WorkloadOptions.varyQuorums) */
  readonly quorum?: number;
  /** a put's ?ttl, or the window length an incr may start a window with, in ms (undefined = none) */
  readonly ttlMs?: number;
  /** the context the client sent with a put/del (undefined = none) */
  readonly contextIn?: Dots;
  /** a conditional put/del: If-Match with the ETag of the client's last read of the key, or If-None-Match: * when that read found nothing */
  readonly condition?: 'if-match' | 'if-none-match';
  /**
   * the context a conditional write was sent to the replicas with, once it
   * passed its check (the client's context joined with its quorum read's):
   * what it supersedes
   */
  contextUsed?: Dots;
  readonly invokedAt: number;
  completedAt?: number;
  outcome: 'pending' | 'ok' | 'fail' | 'info';
  /** the version an acknowledged put/del created */
  dot?: Dot;
  /** an acknowledged put/del of an LWW key: its version's timestamp, which with the dot orders it */
  writtenAt?: number;
  /** an acknowledged get of an LWW key: the newest version in what it returned (tombstones included; undefined: nothing) */
  readNewest?: { readonly writtenAt: number; readonly dot: Dot; readonly deleted: boolean };
  /** an acknowledged get of an LWW key: how many versions (tombstones included) it returned */
  readSiblings?: number;
  /** an acknowledged TTL put's deadline, on the clock of the replica that stamped it */
  expiresAt?: number;
  /** for an acknowledged get: the live values and the context returned */
  readValues?: string[];
  readContext?: Dots;
  /** for an acknowledged get: the deadlines of the TTL'd values it returned */
  readExpiresAt?: number[];
  /**
   * for an acknowledged get or cget: its coordinator's clock when it began, when
   * that clock did not jump while it ran (the coordinator drops what expired by
   * its clock during the get, so nothing returned may have expired by this reading)
   */
  readerClock?: number;
  /** for an acknowledged cget: the totals of the positive and of the negative deltas in the state read */
  readTotals?: CounterTotals;
  /** for an acknowledged cget of a rate-limit window: the end of the window it read (undefined: none live) */
  readWindowEnd?: number;
  /** for an acknowledged incr of a rate-limit window: the end of the window it counted in, as its coordinator answered */
  windowEnd?: number;
  /** the quorum included fallbacks, so the read-your-writes guarantee does not apply */
  sloppy?: boolean;
  /**
   * The ring epoch the coordinator served the op under, when it did not change
   * while the op ran. W+R>N only promises overlap between quorums drawn from
   * the same replica lists: a coordinator that has not yet heard of a
   * committed ring change (it was cut off) writes to the old replicas.
   */
  ringEpoch?: number;
  error?: string;
}

export class History {
  readonly ops: HistoryOp[] = [];

  add(op: Omit<HistoryOp, 'id' | 'outcome'>): HistoryOp {
    const full: HistoryOp = { ...op, id: this.ops.length, outcome: 'pending' };
    this.ops.push(full);
    return full;
  }

  /** A stable digest of everything that happened, to prove a seed replays exactly. */
  digest(): string {
    let h = 0x811c9dc5;
    const text = JSON.stringify(
      this.ops.map((o) => [o.id, o.client, o.node, o.kind, o.key, o.value, o.invokedAt, o.completedAt, o.outcome, o.dot, o.readValues, o.delta, o.readTotals]),
    );
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16).padStart(8, '0');
  }
}
