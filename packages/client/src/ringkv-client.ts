import { Pool, type Dispatcher } from 'undici';
import { encodeKey } from '@ringkv/core';
import { connectionErrorCode, isRetryable } from './connection-error.js';
import { readClusterPlan, readClusterStatus, readStagedBody, type ClusterOp, type ClusterPlan, type ClusterStatus, type StagedChange } from './cluster-admin.js';
import type { AdminOptions, DeleteOptions, GetOptions, GetResult, PutOptions, PutResult, RepairSummary, RingkvClientOptions } from './client-options.js';
import { RingkvHttpError } from './http-error.js';
import { counterPath, counterRouteBytes, readCounterValue, type CounterOptions, type IncrOptions } from './counter.js';
import { headerValue, isNotFoundBody, kvPath, missingContext, normalizeNodeUrl, readValues, toClientError, type Answer, type Call, type KeyRoute } from './kv-answer.js';
import { readNodeStatus, type NodeStatus } from './node-status.js';
import { RingCache } from './ring-cache.js';
import { readRing, routeKey, type RingMap } from './ring-map.js';
import { runUpdate, type KeyState, type UpdateFn, type UpdateOptions, type UpdateResult, type WriteOutcome } from './update-loop.js';

export { normalizeNodeUrl } from './kv-answer.js';
export type { Routing, RingkvClientOptions, GetOptions, GetResult, PutOptions, PutResult, DeleteOptions, AdminOptions, RepairSummary } from './client-options.js';

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RING_REFRESH_MS = 10_000;
/** Long enough to skip a dead node for a few requests, short enough to notice it is back without a ring refresh. */
const UNREACHABLE_AVOID_MS = 2000;

/**
 * An HTTP client for a ringkv cluster. Key operations go to a replica of the
 * key found in the cached ring (partition-aware routing), or to the nodes in
 * turn (every node coordinates any key); other requests go to the nodes in
 * turn. When a node cannot be reached the request is tried once more on
 * another node, if that cannot have applied it twice.
 */
export class RingkvClient {
  readonly nodes: readonly string[];
  private readonly pools = new Map<string, Pool>();
  private readonly timeoutMs: number;
  private readonly connections: number;
  private turn = 0;
  private readTurn = 0;
  /** present when routing partition-aware */
  private readonly ring: RingCache | undefined;
  /** node id → URL, for the ring's nodes; the scheme is the first seed's */
  private readonly scheme: string;
  /** node URL → until when routing skips it: it just refused or dropped a connection */
  private readonly unreachable = new Map<string, number>();
  private readonly ringUrls = new WeakMap<RingMap, ReadonlyMap<string, string>>();
  private closed = false;

  constructor(options: RingkvClientOptions) {
    if (options.nodes.length === 0) throw new TypeError('RingkvClient needs at least one node URL');
    this.nodes = options.nodes.map(normalizeNodeUrl);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.connections = options.connectionsPerNode ?? 8;
    this.authHeaders = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
    this.ca = options.ca;
    this.scheme = new URL(this.nodes[0] ?? 'http://x').protocol;
    if ((options.routing ?? 'partition-aware') === 'partition-aware') {
      this.ring = new RingCache({ fetch: () => this.fetchRing(), refreshMs: options.ringRefreshMs ?? DEFAULT_RING_REFRESH_MS });
    }
  }

  /** The ring the client routes by (fetched from GET /ring), or undefined when it routes to any node or has none yet. */
  ringMap(): RingMap | undefined {
    return this.ring?.peek();
  }

  /** Fetches the ring now (routing partition-aware); returns it, or undefined when no node served one. */
  async refreshRing(): Promise<RingMap | undefined> {
    await this.ring?.refresh();
    return this.ring?.peek();
  }

  /**
   * Read-modify-write of one key: reads it, calls `fn` with its live values
   * (empty when absent) and writes what `fn` returns (a value, DELETE, or
   * undefined for no write) with the read's context. When a concurrent write
   * shows up — the write comes back with siblings, or (on servers with ETags)
   * is refused 412 by its If-Match — `fn` is called again on what is stored
   * now, after a backoff; after `attempts` tries it throws RingkvUpdateConflictError.
   */
  async update(key: string, fn: UpdateFn, options: UpdateOptions = {}): Promise<UpdateResult> {
    return runUpdate(
      {
        read: (k) => this.readState(k, options.r),
        write: (k, value, state) => this.writeState(k, value, state, options),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        random: Math.random,
      },
      key,
      fn,
      options,
    );
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const answer = await this.send(
      { method: 'GET', path: kvPath(key, { r: options.r, pr: options.pr }), node: options.node, route: { key, kind: 'read' } },
      true,
    );
    const context = headerValue(answer.headers, 'x-context');
    if (answer.status === 404) return context === undefined ? { found: false } : { found: false, context };
    const siblings = readValues(answer);
    if (context === undefined) throw missingContext(answer);
    const etag = headerValue(answer.headers, 'etag');
    return etag === undefined ? { found: true, siblings, context } : { found: true, siblings, context, etag };
  }

  async put(key: string, value: Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
    const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? (typeof value === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream'),
    };
    if (options.context !== undefined) headers['x-context'] = options.context;
    if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
    if (options.ifNoneMatch !== undefined) headers['if-none-match'] = options.ifNoneMatch;
    const path = kvPath(key, { w: options.w, dw: options.dw, ttl: options.ttl, returnbody: options.returnBody === true ? 'true' : undefined });
    const answer = await this.send({ method: 'PUT', path, headers, body, node: options.node, route: { key, kind: 'write' } }, false);
    const context = headerValue(answer.headers, 'x-context');
    if (context === undefined) throw missingContext(answer);
    const etag = headerValue(answer.headers, 'etag');
    const tagged = etag === undefined ? {} : { etag };
    if (options.returnBody === true && answer.status !== 204) return { context, siblings: readValues(answer), ...tagged };
    return { context, ...tagged };
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    const headers: Record<string, string> = {};
    if (options.context !== undefined) headers['x-context'] = options.context;
    await this.send({ method: 'DELETE', path: kvPath(key, { w: options.w, dw: options.dw }), headers, node: options.node, route: { key, kind: 'write' } }, false);
  }

  /**
   * Adds `delta` (default 1, may be negative) to a counter and returns the
   * count after it, as the coordinating replica knows it — enough to enforce a
   * rate limit in one round trip (see counter.ts for `ttl` windows). Not
   * retried once the request may have reached a node: it may have counted.
   */
  async incr(key: string, delta = 1, options: IncrOptions = {}): Promise<number> {
    const path = counterPath(key, { ttl: options.ttl, w: options.w, dw: options.dw });
    const body = Buffer.from(JSON.stringify({ delta }), 'utf8');
    const headers = { 'content-type': 'application/json' };
    const route: KeyRoute = { key, kind: 'write', bytes: counterRouteBytes(key) };
    const answer = await this.send({ method: 'POST', path, headers, body, node: options.node, route }, false);
    return readCounterValue(answer.status, answer.body, answer.node);
  }

  /** A counter's value: the join of R replicas' states (0 when never incremented or its window ended). */
  async counter(key: string, options: CounterOptions = {}): Promise<number> {
    const route: KeyRoute = { key, kind: 'read', bytes: counterRouteBytes(key) };
    const answer = await this.send({ method: 'GET', path: counterPath(key, { r: options.r }), node: options.node, route }, true);
    return readCounterValue(answer.status, answer.body, answer.node);
  }

  /** `GET /status` of one node (default: the next in turn). */
  async status(node?: string): Promise<NodeStatus> {
    const answer = await this.send({ method: 'GET', path: '/status', node }, true);
    try {
      return readNodeStatus(JSON.parse(answer.body.toString('utf8')));
    } catch {
      throw new RingkvHttpError('UNEXPECTED_RESPONSE', answer.status, 'the /status body is not a JSON object', {}, answer.node);
    }
  }

  /**
   * Runs anti-entropy now on one node: for one partition it replicates, or
   * for all of them, with every live fellow replica. Returns the node's summary
   * (exchanges, keys repaired, bytes each way).
   */
  async repair(options: { partition?: number; node?: string } = {}): Promise<RepairSummary> {
    const query = options.partition === undefined ? '' : `?partition=${options.partition}`;
    const answer = await this.send({ method: 'POST', path: `/admin/repair${query}`, node: options.node }, false);
    return JSON.parse(answer.body.toString('utf8')) as RepairSummary;
  }

  /** Stages `join`, `leave` or `remove` of node `id` on the admin node; returns everything staged there. */
  async clusterStage(op: ClusterOp, id: string, options: AdminOptions = {}): Promise<StagedChange> {
    return this.adminCall('POST', `/admin/cluster/${op}?node=${encodeURIComponent(id)}`, options, readStagedBody);
  }

  /** What committing the staged changes would move (`GET /admin/cluster/plan`). */
  async clusterPlan(options: AdminOptions = {}): Promise<ClusterPlan> {
    return this.adminCall('GET', '/admin/cluster/plan', options, readClusterPlan);
  }

  /**
   * Commits the staged changes as a new ring epoch and returns the plan applied.
   * With nothing staged on a bootstrap ring (epoch 0) this seals that ring as epoch 1.
   * Refused (400) while transfers of the current epoch are pending.
   */
  async clusterCommit(options: AdminOptions = {}): Promise<ClusterPlan> {
    return this.adminCall('POST', '/admin/cluster/commit', options, readClusterPlan);
  }

  /** Forgets what is staged on the admin node. */
  async clusterClear(options: AdminOptions = {}): Promise<StagedChange> {
    return this.adminCall('POST', '/admin/cluster/clear', options, readStagedBody);
  }

  /** One node's view of the ring epoch, its transfers and its own handoff figures. */
  async clusterStatus(options: AdminOptions = {}): Promise<ClusterStatus> {
    return this.adminCall('GET', '/admin/cluster/status', options, readClusterStatus);
  }

  private async adminCall<T>(method: 'GET' | 'POST', path: string, options: AdminOptions, read: (body: unknown) => T): Promise<T> {
    const node = options.node ?? this.nodes[0];
    const answer = await this.send({ method, path, node }, method === 'GET');
    try {
      return read(JSON.parse(answer.body.toString('utf8')));
    } catch (err) {
      const why = err instanceof SyntaxError ? 'is not JSON' : `is not what a ringkv node sends (${(err as Error).message})`;
      throw new RingkvHttpError('UNEXPECTED_RESPONSE', answer.status, `the ${path.replace(/\?.*$/, '')} body ${why}`, {}, answer.node);
    }
  }

  /**
   * True when the node answers `GET /health` with 200. Never throws: an
   * unreachable node is simply not healthy (callers poll this while nodes start).
   */
  async health(node?: string): Promise<boolean> {
    const target = node === undefined ? this.nextNode() : normalizeNodeUrl(node);
    try {
      const res = await this.pool(target).request({ method: 'GET', path: '/health' });
      await res.body.dump();
      return res.statusCode === 200;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  private async send(call: Call, idempotent: boolean): Promise<Answer> {
    const routed = call.node === undefined && call.route !== undefined ? await this.routeTargets(call.route) : undefined;
    const first = call.node !== undefined ? normalizeNodeUrl(call.node) : (routed?.[0] ?? this.nextNode());
    try {
      return await this.sendTo(first, call);
    } catch (err) {
      if (routed !== undefined && connectionErrorCode(err) !== undefined) this.noteUnreachable(first);
      const canRetry = routed !== undefined ? routed.length > 1 : this.nodes.length > 1;
      if (call.node !== undefined || !canRetry || !isRetryable(err, idempotent)) throw toClientError(err, first);
    }
    const second = routed?.find((u) => u !== first) ?? this.nextNode();
    try {
      return await this.sendTo(second, call);
    } catch (err) {
      if (routed !== undefined && connectionErrorCode(err) !== undefined) this.noteUnreachable(second);
      throw toClientError(err, second);
    }
  }

  private async sendTo(node: string, call: Call): Promise<Answer> {
    const options: Dispatcher.RequestOptions = { method: call.method, path: call.path, headers: { ...call.headers, ...this.authHeaders } };
    if (call.body !== undefined) options.body = call.body;
    const res = await this.pool(node).request(options);
    const body = Buffer.from(await res.body.arrayBuffer());
    const answer: Answer = { node, status: res.statusCode, headers: res.headers, body };
    const ok = (res.statusCode >= 200 && res.statusCode < 300) || res.statusCode === 300;
    if (ok || (res.statusCode === 404 && call.method === 'GET' && call.path.startsWith('/kv/') && isNotFoundBody(body))) {
      return answer;
    }
    throw RingkvHttpError.fromBody(res.statusCode, body.toString('utf8'), node);
  }

  /**
   * Node URLs to try for a key operation, best first (see routeKey), then the
   * seed nodes; undefined when routing to any node or no ring is known.
   */
  private async routeTargets(route: KeyRoute): Promise<string[] | undefined> {
    if (this.ring === undefined) return undefined;
    const ring = await this.ring.get();
    if (ring === undefined) return undefined;
    let keyBytes: Uint8Array;
    try {
      keyBytes = route.bytes ?? encodeKey(route.key);
    } catch {
      return undefined; // an invalid key: let a node answer KEY_INVALID
    }
    const turn = route.kind === 'read' ? this.readTurn++ : 0;
    const urls = this.urlsOf(ring);
    const now = Date.now();
    const avoid = new Set<string>();
    for (const [url, until] of this.unreachable) if (until <= now) this.unreachable.delete(url);
    if (this.unreachable.size > 0) for (const [id, url] of urls) if (this.unreachable.has(url)) avoid.add(id);
    const { targets, unknownReplica } = routeKey(ring, keyBytes, route.kind, turn, avoid);
    if (unknownReplica) this.ring.invalidate();
    return [...new Set([...targets.map((id) => urls.get(id) ?? ''), ...this.nodes])];
  }

  /** Node id → base URL for a ring, computed once per fetched ring (this runs on every request). */
  private urlsOf(ring: RingMap): ReadonlyMap<string, string> {
    let urls = this.ringUrls.get(ring);
    if (urls === undefined) {
      urls = new Map([...ring.nodes].map(([id, m]) => [id, normalizeNodeUrl(`${this.scheme}//${m.http}`)]));
      this.ringUrls.set(ring, urls);
    }
    return urls;
  }

  /**
   * A node refused or dropped a connection: route around it for a while and
   * refetch the ring, whose failure detector will soon say whether it is down.
   */
  private noteUnreachable(url: string): void {
    this.unreachable.set(url, Date.now() + UNREACHABLE_AVOID_MS);
    this.ring?.invalidate();
  }

  /** GET /ring from the seed nodes in turn (one retry elsewhere, as any read). */
  private async fetchRing(): Promise<RingMap> {
    if (this.closed) throw new Error('client closed');
    const answer = await this.send({ method: 'GET', path: '/ring' }, true);
    return readRing(JSON.parse(answer.body.toString('utf8')));
  }

  /**
   * The key's live values, context and ETag (when the server sends one), for
   * update. Routed like a write: the node that will coordinate update's write
   * answers from its own copy too, so the snapshot has what that write will meet.
   */
  private async readState(key: string, r: number | undefined): Promise<KeyState> {
    const answer = await this.send({ method: 'GET', path: kvPath(key, { r }), route: { key, kind: 'write' } }, true);
    const context = headerValue(answer.headers, 'x-context');
    const etag = headerValue(answer.headers, 'etag');
    return { siblings: answer.status === 404 ? [] : readValues(answer), context, etag };
  }

  /**
   * One write of update: the value (or a delete when null) with the state's
   * context and, when it has an ETag, If-Match. Writes ask for the stored
   * body back to see siblings; a DELETE cannot, so it is followed by a read.
   */
  private async writeState(key: string, value: Uint8Array | string | null, state: KeyState, options: UpdateOptions): Promise<WriteOutcome> {
    const headers: Record<string, string> = {};
    if (state.context !== undefined) headers['x-context'] = state.context;
    if (state.etag !== undefined) headers['if-match'] = state.etag;
    const route: KeyRoute = { key, kind: 'write' };
    let answer: Answer;
    try {
      if (value === null) {
        answer = await this.send({ method: 'DELETE', path: kvPath(key, { w: options.w, dw: options.dw }), headers, route }, false);
      } else {
        headers['content-type'] = options.contentType ?? (typeof value === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream');
        const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
        const path = kvPath(key, { w: options.w, dw: options.dw, returnbody: 'true' });
        answer = await this.send({ method: 'PUT', path, headers, body, route }, false);
      }
    } catch (err) {
      if (err instanceof RingkvHttpError && err.status === 412) return { kind: 'precondition-failed' };
      throw err;
    }
    const context = headerValue(answer.headers, 'x-context');
    if (value === null) {
      const after = await this.readState(key, options.r);
      return after.siblings.length === 0 ? { kind: 'done', context: after.context ?? context } : { kind: 'siblings', state: after };
    }
    if (answer.status === 300) {
      return { kind: 'siblings', state: { siblings: readValues(answer), context, etag: headerValue(answer.headers, 'etag') } };
    }
    return { kind: 'done', context };
  }

  private nextNode(): string {
    const node = this.nodes[this.turn % this.nodes.length];
    this.turn = (this.turn + 1) % this.nodes.length;
    // The constructor guarantees at least one node; this only satisfies the index check.
    if (node === undefined) throw new Error('no node');
    return node;
  }

  /** `Authorization` for every request, or nothing. */
  private readonly authHeaders: Record<string, string>;
  private readonly ca: string | Buffer | undefined;

  private pool(node: string): Pool {
    let pool = this.pools.get(node);
    if (pool === undefined) {
      pool = new Pool(node, {
        connections: this.connections,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        connect: { timeout: this.timeoutMs, ...(this.ca === undefined ? {} : { ca: this.ca }) },
      });
      this.pools.set(node, pool);
    }
    return pool;
  }
}
