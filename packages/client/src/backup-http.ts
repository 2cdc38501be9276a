/**
 * The few raw HTTP calls of backup and restore, over undici directly: they
 * stream bodies and talk to one chosen node at a time, which the general
 * RingkvClient (JSON and values, rotating nodes) is not made for.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { RingkvConnectionError, connectionErrorCode } from './connection-error.js';
import { RingkvHttpError } from './http-error.js';

/** How backup and restore authenticate, as RingkvClient does: a bearer token, and a CA for https:// nodes. */
export interface BackupCredentials {
  readonly token?: string;
  readonly ca?: string | Buffer;
}

/**
 * A connection pool for backup/restore calls; every request carries the token
 * when one is given. `timeoutMs` 0: no limit on an answer (connecting still
 * gives up after 5 s).
 */
export function backupAgent(timeoutMs: number, connections: number, credentials: BackupCredentials = {}): Dispatcher {
  const agent = new Agent({
    connections,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: timeoutMs > 0 ? Math.min(timeoutMs, 5000) : 5000, ...(credentials.ca === undefined ? {} : { ca: credentials.ca }) },
  });
  const { token } = credentials;
  if (token === undefined) return agent;
  // send() passes headers as a plain object; add the token to every request of this pool.
  return agent.compose((dispatch) => (opts, handler) =>
    dispatch({ ...opts, headers: { ...(opts.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } }, handler),
  );
}

/** A response whose status is not the expected one becomes the node's RingkvHttpError. */
export async function send(
  dispatcher: Dispatcher,
  node: string,
  path: string,
  init: { method?: Dispatcher.HttpMethod; body?: Uint8Array; contentType?: string } = {},
): Promise<Dispatcher.ResponseData> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(`${node}${path}`, {
      dispatcher,
      method: init.method ?? 'GET',
      ...(init.body === undefined ? {} : { body: init.body }),
      headers: init.contentType === undefined ? {} : { 'content-type': init.contentType },
    });
  } catch (err) {
    const code = connectionErrorCode(err) ?? (err as { code?: string }).code ?? 'ERROR';
    throw new RingkvConnectionError(node, code, `${node}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (res.statusCode !== 200) {
    const text = await res.body.text().catch(() => '');
    throw RingkvHttpError.fromBody(res.statusCode, text, node);
  }
  return res;
}

export async function fetchJson(dispatcher: Dispatcher, node: string, path: string, init: Parameters<typeof send>[3] = {}): Promise<unknown> {
  const res = await send(dispatcher, node, path, init);
  return res.body.json();
}
