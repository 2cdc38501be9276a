import { Pool, type Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { RingkvConnectionError, connectionErrorCode, isRetryable } from './connection-error.js';
import { readClusterPlan, readClusterStatus, readStagedChange, type ClusterOp, type ClusterPlan, type ClusterStatus, type StagedChange } from './cluster-admin.js';
import { RingkvHttpError } from './http-error.js';
import { readNodeStatus, type NodeStatus } from './node-status.js';
import { parseSiblingsBody, type Sibling } from './siblings-body.js';

export interface RingkvClientOptions {
  /** base URLs of the nodes, e.g. `http://127.0.0.1:7001` */
  readonly nodes: readonly string[];
  /** connect, response-headers and body timeout per request (default 10 s) */
  readonly timeoutMs?: number;
  /** connections kept per node (default 8) */
  readonly connectionsPerNode?: number;
}

export type GetResult =
  | { readonly found: false; readonly context?: string }
  | { readonly found: true; readonly siblings: readonly Sibling[]; readonly context: string };

export interface GetOptions {
  /** read quorum for this request (1..N) */
  readonly r?: number;
  /** how many of the R replies must come from primaries (0..R; `?pr=`) */
  readonly pr?: number;
  /** ask this node instead of the next one in turn */
  readonly node?: string;
}

export interface PutOptions {
  /** the context from the read (or write) this value is based on */
  readonly context?: string;
  /** default: text/plain; charset=utf-8 for strings, application/octet-stream for bytes */
  readonly contentType?: string;
  readonly w?: number;
  /** ask the node to answer with the value(s) now stored (`?returnbody=true`) */
  readonly returnBody?: boolean;
  readonly node?: string;
}

export interface PutResult {
  /** covers the context sent plus the value just written: pass it to the next write */
  readonly context: string;
  /** present with `returnBody` */
  readonly siblings?: readonly Sibling[];
}

/**
 * Where an /admin/cluster call goes. Staging is kept on the node you talk to,
 * so admin calls never rotate between nodes: `node`, else the first of `nodes`.
 */
export interface AdminOptions {
  readonly node?: string;
}

export interface DeleteOptions {
  readonly context?: string;
  readonly w?: number;
  readonly node?: string;
}

interface Call {
  readonly method: Dispatcher.HttpMethod;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array;
  /** a specific node; no retry elsewhere, since the caller asked that node */
  readonly node?: string | undefined;
}

interface Answer {
  readonly node: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * An HTTP client for a ringkv cluster. Requests go to the nodes in turn (every
 * node coordinates any key); when a node cannot be reached the request is tried
 * once more on the next node, if that cannot have applied it twice.
 */
/** What `POST /admin/repair` answers. */
export interface RepairSummary {
  readonly partitions: number;
  readonly exchanges: number;
  readonly failed: number;
  readonly keysRepaired: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

export class RingkvClient {
  readonly nodes: readonly string[];
  private readonly pools = new Map<string, Pool>();
  private readonly timeoutMs: number;
  private readonly connections: number;
  private turn = 0;

  constructor(options: RingkvClientOptions) {
    if (options.nodes.length === 0) throw new TypeError('RingkvClient needs at least one node URL');
    this.nodes = options.nodes.map(normalizeNodeUrl);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.connections = options.connectionsPerNode ?? 8;
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const answer = await this.send(
      { method: 'GET', path: kvPath(key, { r: options.r, pr: options.pr }), node: options.node },
      true,
    );
    const context = headerValue(answer.headers, 'x-context');
    if (answer.status === 404) return context === undefined ? { found: false } : { found: false, context };
    const siblings = readValues(answer);
    if (context === undefined) throw missingContext(answer);
    return { found: true, siblings, context };
  }

  async put(key: string, value: Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
    const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? (typeof value === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream'),
    };
    if (options.context !== undefined) headers['x-context'] = options.context;
    const path = kvPath(key, { w: options.w, returnbody: options.returnBody === true ? 'true' : undefined });
    const answer = await this.send({ method: 'PUT', path, headers, body, node: options.node }, false);
    const context = headerValue(answer.headers, 'x-context');
    if (context === undefined) throw missingContext(answer);
    if (options.returnBody === true && answer.status !== 204) return { context, siblings: readValues(answer) };
    return { context };
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    const headers: Record<string, string> = {};
    if (options.context !== undefined) headers['x-context'] = options.context;
    await this.send({ method: 'DELETE', path: kvPath(key, { w: options.w }), headers, node: options.node }, false);
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
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  private async send(call: Call, idempotent: boolean): Promise<Answer> {
    const first = call.node === undefined ? this.nextNode() : normalizeNodeUrl(call.node);
    try {
      return await this.sendTo(first, call);
    } catch (err) {
      if (call.node !== undefined || this.nodes.length < 2 || !isRetryable(err, idempotent)) throw toClientError(err, first);
    }
    const second = this.nextNode();
    try {
      return await this.sendTo(second, call);
    } catch (err) {
      throw toClientError(err, second);
    }
  }

  private async sendTo(node: string, call: Call): Promise<Answer> {
    const options: Dispatcher.RequestOptions = { method: call.method, path: call.path };
    if (call.headers !== undefined) options.headers = call.headers;
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

  private nextNode(): string {
    const node = this.nodes[this.turn % this.nodes.length];
    this.turn = (this.turn + 1) % this.nodes.length;
    // The constructor guarantees at least one node; this only satisfies the index check.
    if (node === undefined) throw new Error('no node');
    return node;
  }

  private pool(node: string): Pool {
    let pool = this.pools.get(node);
    if (pool === undefined) {
      pool = new Pool(node, {
        connections: this.connections,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        connect: { timeout: this.timeoutMs },
      });
      this.pools.set(node, pool);
    }
    return pool;
  }
}

/** Accepts `host:port` as well as a URL; keeps only the origin. */
export function normalizeNodeUrl(raw: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${raw}`);
  return url.origin;
}

function kvPath(key: string, query: Readonly<Record<string, string | number | undefined>>): string {
  let path = `/kv/${encodeURIComponent(key)}`;
  let sep = '?';
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    path += `${sep}${name}=${encodeURIComponent(String(value))}`;
    sep = '&';
  }
  return path;
}

/**
 * A 404 on a key is "not found" only when the node says so; an unknown route
 * (e.g. a server without /kv) must not look like a missing key.
 */
function isNotFoundBody(body: Buffer): boolean {
  if (body.length === 0) return true;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && (parsed as { error?: unknown }).error === 'NOT_FOUND';
  } catch {
    return false;
  }
}

function readStagedBody(body: unknown): StagedChange {
  return readStagedChange((body as { staged?: unknown } | null)?.staged);
}

function readValues(answer: Answer): Sibling[] {
  if (answer.status === 300) {
    const siblings = parseSiblingsBody(answer.body.toString('utf8'));
    if (siblings === undefined) {
      throw new RingkvHttpError('UNEXPECTED_RESPONSE', 300, 'the 300 body is not {"siblings":[…]}', {}, answer.node);
    }
    return siblings;
  }
  const contentType = headerValue(answer.headers, 'content-type') ?? 'application/octet-stream';
  return [{ value: answer.body, contentType }];
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function missingContext(answer: Answer): RingkvHttpError {
  return new RingkvHttpError('UNEXPECTED_RESPONSE', answer.status, `HTTP ${answer.status} without an X-Context header`, {}, answer.node);
}

function toClientError(err: unknown, node: string): Error {
  if (err instanceof RingkvHttpError) return err;
  const code = connectionErrorCode(err);
  if (code !== undefined) {
    const detail = err instanceof Error && err.message !== '' ? err.message : code;
    return new RingkvConnectionError(node, code, `cannot reach ${node}: ${detail}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
