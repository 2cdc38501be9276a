/** No HTTP answer came back from a node: refused, reset, timed out, unresolvable. */
export class RingkvConnectionError extends Error {
  constructor(
    readonly node: string,
    /** the socket or undici error code, e.g. ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RingkvConnectionError';
  }
}

/**
 * Failures that happen before a single byte of the request can have reached a
 * server. Retrying those elsewhere is safe even for writes.
 */
const NOTHING_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Failures after the request may have been sent (the connection dropped or
 * closed under it). Only idempotent requests may be retried on them; a write
 * might have been applied, and repeating it without its context would create a
 * sibling. Response timeouts are not here: the node answers 503 itself within
 * its request timeout, so a silent node is better reported than waited on twice.
 */
const CONNECTION_LOST_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** The error code of a socket-level failure, or undefined for anything else. */
export function connectionErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  if (NOTHING_SENT_CODES.has(code) || CONNECTION_LOST_CODES.has(code)) return code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return code;
  return undefined;
}

/** May the request be repeated on another node after this error? */
export function isRetryable(err: unknown, idempotent: boolean): boolean {
  const code = connectionErrorCode(err);
  if (code === undefined) return false;
  return NOTHING_SENT_CODES.has(code) || (idempotent && CONNECTION_LOST_CODES.has(code));
}
