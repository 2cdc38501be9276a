import { Agent, request } from 'undici';

/** One HTTP exchange, with the status, headers and body exactly as the node sent them. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  /** a single-valued header, lower-case name */
  header(name: string): string | undefined;
  text(): string;
  json(): unknown;
}

export interface RawRequest {
  readonly method?: 'GET' | 'PUT' | 'DELETE' | 'POST' | 'PATCH' | 'HEAD';
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
  readonly timeoutMs?: number;
}

// No keep-alive: tests kill and restart nodes, and a pooled socket to a dead
// process would fail the next request for reasons that have nothing to do with the node.
const agent = new Agent({ pipelining: 0 });

/** Sends one request to `base + path`; `path` is sent as is (no re-encoding), so it may hold bad percent-escapes. */
export async function http(base: string, path: string, req: RawRequest = {}): Promise<RawResponse> {
  const timeoutMs = req.timeoutMs ?? 10_000;
  const res = await request(base + path, {
    method: req.method ?? 'GET',
    headers: req.headers ?? {},
    ...(req.body === undefined ? {} : { body: req.body }),
    dispatcher: agent,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  const headers = res.headers;
  return {
    status: res.statusCode,
    headers,
    body,
    header(name) {
      const v = headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    text: () => body.toString('utf8'),
    json: () => JSON.parse(body.toString('utf8')) as unknown,
  };
}

/** `/kv/<key>` with the key percent-encoded as one path segment. */
export function kvPath(key: string, query = ''): string {
  return `/kv/${encodeURIComponent(key)}${query === '' ? '' : `?${query}`}`;
}

export interface Sibling {
  readonly value: string;
  readonly contentType: string;
}

/** The values of a 300 answer's siblings, decoded from base64, sorted. */
export function siblingValues(res: RawResponse): string[] {
  const body = res.json() as { siblings: Sibling[] };
  return body.siblings.map((s) => Buffer.from(s.value, 'base64').toString('utf8')).sort();
}

/** The values a GET returned, whatever its form: [] for 404, one for 200, all siblings for 300. */
export function valuesOf(res: RawResponse): string[] {
  if (res.status === 404) return [];
  if (res.status === 200) return [res.text()];
  if (res.status === 300) return siblingValues(res);
  throw new Error(`unexpected GET status ${res.status}: ${res.text().slice(0, 300)}`);
}

export interface StatusMember {
  readonly id: string;
  readonly state: string;
  readonly [field: string]: unknown;
}

export interface StatusHealth {
  readonly id: string;
  readonly health: string;
  readonly incarnation: number;
  readonly lastHeardAgoMs: number;
  readonly [field: string]: unknown;
}

/** The fields of GET /status these tests look at. */
export interface NodeStatusJson {
  readonly id: string;
  readonly cluster: { readonly n: number; readonly r: number; readonly w: number; readonly partitions: number };
  readonly members: readonly StatusMember[];
  readonly health: readonly StatusHealth[];
  readonly hintsPending: Readonly<Record<string, number>>;
  readonly partitionsOwned: number;
  readonly keysStored: number;
  readonly [field: string]: unknown;
}

export async function statusOf(base: string): Promise<NodeStatusJson> {
  const res = await http(base, '/status', { timeoutMs: 3000 });
  if (res.status !== 200) throw new Error(`GET ${base}/status: ${res.status} ${res.text().slice(0, 200)}`);
  return res.json() as NodeStatusJson;
}

/** How `observer` currently judges member `id` (its /status members[].state). */
export async function stateSeenBy(observer: string, id: string): Promise<string | undefined> {
  const s = await statusOf(observer);
  return s.members.find((m) => m.id === id)?.state;
}

/** Sum of the hints `base` holds, over all targets. */
export function hintsTotal(s: NodeStatusJson): number {
  return Object.values(s.hintsPending).reduce((a, b) => a + b, 0);
}
