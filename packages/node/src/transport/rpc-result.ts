import type { RpcResult } from '@ringkv/core';
import type { Response } from './messages.js';
import { errorCodeCharsMax, errorMessageCharsMax } from './messages.js';

/**
 * The wire response for a handler's result. A result that is not a valid
 * `RpcResult` is the handler's bug, reported to the caller as INTERNAL rather
 * than sent as something the peer would reject as a protocol error.
 */
export function responseFor(id: number, result: unknown): Response {
  if (typeof result === 'object' && result !== null) {
    const fields = result as Readonly<Record<string, unknown>>;
    if (fields['ok'] === true) return { t: 'res', id, ok: true, body: fields['body'] };
    const code = fields['code'];
    const message = fields['message'];
    if (fields['ok'] === false && typeof code === 'string' && typeof message === 'string') {
      if (code.length === 0 || code.length > errorCodeCharsMax) {
        return internalError(id, `handler returned an error code of ${code.length} chars (1..${errorCodeCharsMax})`);
      }
      return { t: 'res', id, ok: false, code, message: truncate(message, errorMessageCharsMax) };
    }
  }
  return internalError(id, 'handler returned something that is not an RpcResult');
}

export function internalError(id: number, message: string): Response {
  return { t: 'res', id, ok: false, code: 'INTERNAL', message: truncate(message, errorMessageCharsMax) };
}

/** The `RpcResult` a caller sees for a validated wire response. */
export function resultOf(response: Response): RpcResult {
  return response.ok
    ? { ok: true, body: response.body }
    : { ok: false, code: response.code, message: response.message };
}

function truncate(text: string, charsMax: number): string {
  return text.length <= charsMax ? text : `${text.slice(0, charsMax - 1)}…`;
}
