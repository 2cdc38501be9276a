import type { ErrorCode } from '@ringkv/core';

/**
 * Codes the client itself reports when a response cannot be interpreted (a
 * proxy's HTML error page, a 204 without X-Context, a malformed 300 body).
 * They never come from a ringkv node, so they are kept apart from ErrorCode.
 */
export type ClientErrorCode = 'UNEXPECTED_RESPONSE';

/** A node answered, but with an error (or with something the client cannot read). */
export class RingkvHttpError extends Error {
  constructor(
    /** the server's stable code (ERROR_CATALOGUE), or a ClientErrorCode */
    readonly code: ErrorCode | ClientErrorCode,
    readonly status: number,
    message: string,
    /** every other field of the error body, e.g. `needed` and `got` for QUORUM_NOT_MET */
    readonly details: Readonly<Record<string, unknown>> = {},
    /** the node that answered */
    readonly node?: string,
  ) {
    super(message);
    this.name = 'RingkvHttpError';
  }

  /**
   * Builds the error from a response body. The node's JSON `{error, message, …}`
   * is trusted only for its shape; anything else keeps the status and a short
   * excerpt so the caller still learns what came back.
   */
  static fromBody(status: number, bodyText: string, node?: string): RingkvHttpError {
    const parsed = parseJsonObject(bodyText);
    if (parsed !== undefined && typeof parsed['error'] === 'string') {
      const { error, message, ...details } = parsed;
      const text = typeof message === 'string' ? message : `HTTP ${status}`;
      // The server's catalogue may grow before this client does; its code is passed through as sent.
      return new RingkvHttpError(error as ErrorCode, status, text, details, node);
    }
    const excerpt = bodyText.trim().slice(0, 200);
    const message = `unexpected HTTP ${status} response${excerpt === '' ? '' : `: ${excerpt}`}`;
    return new RingkvHttpError('UNEXPECTED_RESPONSE', status, message, {}, node);
  }
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
