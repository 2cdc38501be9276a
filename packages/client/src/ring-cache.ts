import type { RingMap } from './ring-map.js';

export interface RingCacheOptions {
  /** fetches and parses GET /ring from some node; throws when none answers usefully */
  readonly fetch: () => Promise<RingMap>;
  /** a map older than this is refreshed (in the background) by the next request */
  readonly refreshMs: number;
  readonly now?: () => number;
}

/** First retry after a failed fetch; doubles up to refreshMs. */
const firstRetryMs = 500;
/** An invalidated map is refetched at most this often, so a dead node does not turn every request into a fetch. */
const invalidatedGapMs = 1000;

/**
 * The client's copy of the ring. Refreshing is driven by requests rather than
 * a timer: an idle client sends nothing and keeps no timer alive, and a busy
 * one never waits for a refresh except the very first fetch.
 *
 * While no map could be fetched (an older server without /ring, every node
 * down) `get` answers undefined and requests go to any node; fetching is
 * retried with backoff so that a missing endpoint costs one extra request per
 * `refreshMs`, not one per key operation.
 */
export class RingCache {
  private ring: RingMap | undefined;
  private fetchedAt = 0;
  private stale = false;
  private failures = 0;
  private retryAt = 0;
  private inflight: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: RingCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The current map; starts a refresh when due. Only the first call ever waits (for the first fetch). */
  async get(): Promise<RingMap | undefined> {
    const now = this.now();
    if (this.ring === undefined) {
      if (this.failures === 0) {
        await this.refresh();
      } else if (now >= this.retryAt) {
        void this.refresh();
      }
      return this.ring;
    }
    const age = now - this.fetchedAt;
    if (age >= this.options.refreshMs || (this.stale && age >= Math.min(invalidatedGapMs, this.options.refreshMs))) void this.refresh();
    return this.ring;
  }

  /** Something suggests the map is wrong (a node it names is unreachable or unknown): refresh on the next request. */
  invalidate(): void {
    this.stale = true;
  }

  /** The map as last fetched, without triggering anything (for tests and diagnostics). */
  peek(): RingMap | undefined {
    return this.ring;
  }

  /** Fetches now unless a fetch is already under way; never throws. */
  refresh(): Promise<void> {
    this.inflight ??= this.options
      .fetch()
      .then(
        (ring) => {
          this.ring = ring;
          this.fetchedAt = this.now();
          this.stale = false;
          this.failures = 0;
        },
        () => {
          this.failures++;
          this.stale = false;
          const wait = Math.min(this.options.refreshMs, firstRetryMs * 2 ** (this.failures - 1));
          this.retryAt = this.now() + wait;
          // Keep using a map we have: an old map still routes most keys right, and
          // a wrong target only costs a forward or one retry elsewhere.
          if (this.ring !== undefined) this.fetchedAt = this.now() - this.options.refreshMs + wait;
        },
      )
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }
}
