// Every request the console makes, to the node that served it (same origin).

/** An error the node answered with its JSON shape {error, message}, or a network failure (code NETWORK). */
export class ApiError extends Error {
  constructor(status, code, message, context) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    /** X-Context of a 404 on a deleted key: writing with it supersedes the tombstone */
    this.context = context;
  }
}

const tokenKey = 'ringkv-token';

/**
 * The bearer token, when the node requires one (its static files are public,
 * its data is not). Kept for this tab only, never in a cookie: it is sent
 * only by these scripts, only to this origin.
 */
export function setToken(token) {
  if (token) sessionStorage.setItem(tokenKey, token);
  else sessionStorage.removeItem(tokenKey);
}

export function hasToken() {
  return sessionStorage.getItem(tokenKey) !== null;
}

function withAuth(headers = {}) {
  const token = sessionStorage.getItem(tokenKey);
  return token === null ? headers : { ...headers, authorization: `Bearer ${token}` };
}

const pollTimeoutMs = 4000;
const kvTimeoutMs = 10000;

async function request(path, init, timeoutMs) {
  try {
    return await fetch(path, { ...init, headers: withAuth(init?.headers), cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const what = err?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String(err?.message ?? err);
    throw new ApiError(0, 'NETWORK', `${init?.method ?? 'GET'} ${path}: ${what}`);
  }
}

/** Turns a non-2xx answer into an ApiError, reading the node's JSON error body when there is one. */
async function failure(res) {
  const text = await res.text();
  let code = `HTTP_${res.status}`;
  let message = text.slice(0, 500) || res.statusText;
  try {
    const body = JSON.parse(text);
    if (typeof body?.error === 'string') code = body.error;
    if (typeof body?.message === 'string') message = body.message;
  } catch {
    // not JSON (a proxy's page, say): keep the start of the text
  }
  return new ApiError(res.status, code, message, res.headers.get('x-context') ?? undefined);
}

export async function getJson(path) {
  const res = await request(path, { headers: { accept: 'application/json' } }, pollTimeoutMs);
  if (!res.ok) throw await failure(res);
  return res.json();
}

const kvPath = (key) => `/kv/${encodeURIComponent(key)}`;

/**
 * GET /kv/:key. One value (200) or the siblings (300), with the context.
 * @returns {Promise<{ context: string, siblings: { bytes: Uint8Array, contentType: string, writtenAt?: number }[] }>}
 */
export async function kvGet(key) {
  const res = await request(kvPath(key), {}, kvTimeoutMs);
  const context = res.headers.get('x-context') ?? '';
  if (res.status === 200) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { context, siblings: [{ bytes, contentType: res.headers.get('content-type') ?? '' }] };
  }
  if (res.status === 300) {
    const body = await res.json();
    const siblings = body.siblings.map((sib) => ({ bytes: fromBase64(sib.value), contentType: sib.contentType, writtenAt: sib.writtenAt }));
    return { context, siblings };
  }
  throw await failure(res);
}

/** PUT /kv/:key with the context last seen for the key (none: concurrent with everything). Returns the new context. */
export async function kvPut(key, value, contentType, context) {
  const headers = { 'content-type': contentType };
  if (context) headers['x-context'] = context;
  const res = await request(kvPath(key), { method: 'PUT', headers, body: value }, kvTimeoutMs);
  if (res.status !== 204) throw await failure(res);
  return res.headers.get('x-context') ?? '';
}

/** DELETE /kv/:key. Returns the context of the tombstone. */
export async function kvDelete(key, context) {
  const headers = context ? { 'x-context': context } : {};
  const res = await request(kvPath(key), { method: 'DELETE', headers }, kvTimeoutMs);
  if (res.status !== 204) throw await failure(res);
  return res.headers.get('x-context') ?? '';
}

function fromBase64(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
