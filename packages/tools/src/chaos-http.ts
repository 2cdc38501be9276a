import { Pool } from 'undici';
import type { Phase } from './chaos-history.js';

/** How one request ended, in history terms. */
export interface KvOutcome {
  readonly phase: Exclude<Phase, 'invoke'>;
  readonly status?: number;
  /** the server's error code (QUORUM_NOT_MET, …), a socket error code, or `HTTP <status>` */
  readonly error?: string;
  /** the X-Context returned */
  readonly ctx?: string;
  /** GET ok: every live value ([] for 404) */
  readonly values?: string[];
}

/**
 * Failures where the request certainly never reached a server, so a write
 * certainly did not happen: `fail`. Every other transport failure of a write
 * (reset, closed, timed out) is `info`: it may have been applied.
 */
const NOTHING_SENT: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

export interface KvRequest {
  readonly method: 'GET' | 'PUT' | 'DELETE';
  readonly key: string;
  /** PUT only */
  readonly value?: string;
  readonly ctx?: string;
  /** read quorum override (?r=) */
  readonly r?: number;
}

/** One undici pool per node; the workload picks the node itself (no retry elsewhere, unlike RingkvClient). */
export class NodePools {
  private readonly pools: Pool[];

  constructor(
    urls: readonly string[],
    connections: number,
    private readonly timeoutMs: number,
  ) {
    this.pools = urls.map(
      (url) =>
        new Pool(url, {
          connections,
          pipelining: 1,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          connectTimeout: Math.min(timeoutMs, 3000),
          // A killed node leaves dead keep-alive sockets; do not keep idle ones long.
          keepAliveTimeout: 2000,
        }),
    );
  }

  async request(node: number, req: KvRequest): Promise<KvOutcome> {
    const pool = this.pools[node];
    if (pool === undefined) throw new RangeError(`no node ${node}`);
    const isWrite = req.method !== 'GET';
    const headers: Record<string, string> = {};
    if (req.ctx !== undefined && req.ctx !== '') headers['x-context'] = req.ctx;
    if (req.method === 'PUT') headers['content-type'] = 'text/plain; charset=utf-8';
    const path = `/kv/${encodeURIComponent(req.key)}${req.r === undefined ? '' : `?r=${req.r}`}`;
    let status: number;
    let body: string;
    let ctx: string | undefined;
    try {
      const res = await pool.request({
        method: req.method,
        path,
        headers,
        ...(req.method === 'PUT' ? { body: req.value ?? '' } : {}),
        signal: AbortSignal.timeout(this.timeoutMs + 1000),
      });
      status = res.statusCode;
      const header = res.headers['x-context'];
      ctx = typeof header === 'string' && header !== '' ? header : undefined;
      body = await res.body.text();
    } catch (err) {
      const code = errorCode(err);
      return { phase: isWrite && !NOTHING_SENT.has(code) ? 'info' : 'fail', error: code };
    }
    const withCtx = ctx === undefined ? {} : { ctx };
    if (!isWrite) {
      if (status === 200) return { phase: 'ok', status, values: [body], ...withCtx };
      if (status === 404) return { phase: 'ok', status, values: [], ...withCtx };
      if (status === 300) {
        const values = siblingValues(body);
        if (values !== undefined) return { phase: 'ok', status, values, ...withCtx };
        return { phase: 'fail', status, error: 'BAD_SIBLINGS_BODY' };
      }
      return { phase: 'fail', status, error: serverCode(body, status) };
    }
    if (status === 204 || status === 200) return { phase: 'ok', status, ...withCtx };
    // 4xx: the request was refused before anything was stored. 5xx (503 QUORUM_NOT_MET,
    // 500): some replica may hold the write already.
    return { phase: status >= 400 && status < 500 ? 'fail' : 'info', status, error: serverCode(body, status) };
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.destroy().catch(() => undefined)));
  }
}

function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'CLIENT_TIMEOUT';
    if (e.cause !== undefined) return errorCode(e.cause);
  }
  return err instanceof Error ? err.message : String(err);
}

function serverCode(body: string, status: number): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON
  }
  return `HTTP ${status}`;
}

function siblingValues(body: string): string[] | undefined {
  try {
    const parsed = JSON.parse(body) as { siblings?: unknown };
    if (!Array.isArray(parsed.siblings)) return undefined;
    const values: string[] = [];
    for (const s of parsed.siblings as unknown[]) {
      const v = (s as { value?: unknown } | null)?.value;
      if (typeof v !== 'string') return undefined;
      values.push(Buffer.from(v, 'base64').toString('utf8'));
    }
    return values;
  } catch {
    return undefined;
  }
}
