/**
 * One HTTP exchange of the client with a node, as the client sees it: the
 * call, the answer, and how an answer's status, headers and body are read.
 */
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { RingkvConnectionError, connectionErrorCode } from './connection-error.js';
import { RingkvHttpError } from './http-error.js';
import { parseSiblingsBody, type Sibling } from './siblings-body.js';
import type { RouteKind } from './ring-map.js';

/** The key a /kv call is about, for partition-aware routing. */
export interface KeyRoute {
  readonly key: string;
  readonly kind: RouteKind;
  /** the stored key when it is not the key's UTF-8 (a counter's); undefined = encodeKey(key) */
  readonly bytes?: Uint8Array | undefined;
}

export interface Call {
  readonly method: Dispatcher.HttpMethod;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array;
  /** a specific node; no retry elsewhere, since the caller asked that node */
  readonly node?: string | undefined;
  /** route to a replica of this key (when the client routes partition-aware) */
  readonly route?: KeyRoute;
}

export interface Answer {
  readonly node: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Accepts `host:port` as well as a URL; keeps only the origin. */
export function normalizeNodeUrl(raw: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${raw}`);
  return url.origin;
}

export function kvPath(key: string, query: Readonly<Record<string, string | number | undefined>>): string {
  return keyPath('kv', key, query);
}

/** `/<route>/<key>` with the defined query parameters, each escaped. */
export function keyPath(route: 'kv' | 'counter', key: string, query: Readonly<Record<string, string | number | undefined>>): string {
  let path = `/${route}/${encodeURIComponent(key)}`;
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
export function isNotFoundBody(body: Buffer): boolean {
  if (body.length === 0) return true;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && (parsed as { error?: unknown }).error === 'NOT_FOUND';
  } catch {
    return false;
  }
}

export function readValues(answer: Answer): Sibling[] {
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

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function missingContext(answer: Answer): RingkvHttpError {
  return new RingkvHttpError('UNEXPECTED_RESPONSE', answer.status, `HTTP ${answer.status} without an X-Context header`, {}, answer.node);
}

export function toClientError(err: unknown, node: string): Error {
  if (err instanceof RingkvHttpError) return err;
  const code = connectionErrorCode(err);
  if (code !== undefined) {
    const detail = err instanceof Error && err.message !== '' ? err.message : code;
    return new RingkvConnectionError(node, code, `cannot reach ${node}: ${detail}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
