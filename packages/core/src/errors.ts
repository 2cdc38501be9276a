/**
 * The one catalogue of error codes ringkv reports, with their HTTP status.
 * Errors are values with stable codes; the HTTP layer maps them here and
 * nowhere else (a test keeps this table, the README and the types in step).
 */
export const ERROR_CATALOGUE = {
  KEY_INVALID: { status: 400, summary: 'the key is empty, too long (over 1024 bytes of UTF-8) or not valid UTF-8' },
  QUORUM_PARAM_INVALID: { status: 400, summary: 'r, w, pr or pw is not an integer between 1 and N' },
  CONTEXT_INVALID: { status: 400, summary: 'the X-Context header is not a context ringkv issued' },
  BAD_REQUEST: { status: 400, summary: 'the request is malformed' },
  NOT_FOUND: { status: 404, summary: 'no value is stored under the key (absent or deleted)' },
  ROUTE_NOT_FOUND: { status: 404, summary: 'no such endpoint' },
  METHOD_NOT_ALLOWED: { status: 405, summary: 'the endpoint exists but not with this method' },
  VALUE_TOO_LARGE: { status: 413, summary: 'the value is larger than the configured maximum' },
  QUORUM_NOT_MET: { status: 503, summary: 'fewer replicas than required answered within the request timeout' },
  UNAVAILABLE: { status: 503, summary: 'no node able to coordinate this request could be reached' },
  INTERNAL: { status: 500, summary: 'an unexpected error; the node keeps running' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An error with a stable code and optional structured details (e.g. needed/got). */
export class RingkvError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'RingkvError';
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, code);
}

/** The JSON body of every HTTP error. */
export interface ErrorBody {
  readonly error: ErrorCode;
  readonly message: string;
  readonly [detail: string]: unknown;
}

export function errorBody(err: RingkvError): ErrorBody {
  return { ...err.details, error: err.code, message: err.message };
}
