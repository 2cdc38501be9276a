/**
 * The one catalogue of error codes ringkv reports, with their HTTP status.
 * Errors are values with stable codes; the HTTP layer maps them here and
 * nowhere else (a test keeps this table, the README and the types in step).
 */
export const ERROR_CATALOGUE = {
  KEY_INVALID: { status: 400, summary: 'the key is empty, too long (over 1024 bytes of UTF-8) or not valid UTF-8' },
  QUORUM_PARAM_INVALID: { status: 400, summary: 'r, w, pr, pw or dw is not an integer between 1 (0 for pr, pw, dw) and N' },
  CONTEXT_INVALID: { status: 400, summary: 'the X-Context header is not a context ringkv issued' },
  BAD_REQUEST: { status: 400, summary: 'the request is malformed' },
  UNAUTHORIZED: { status: 401, summary: 'the node requires a bearer token (Authorization: Bearer …) and none or a wrong one was sent' },
  NOT_FOUND: { status: 404, summary: 'no value is stored under the key (absent or deleted)' },
  ROUTE_NOT_FOUND: { status: 404, summary: 'no such endpoint' },
  METHOD_NOT_ALLOWED: { status: 405, summary: 'the endpoint exists but not with this method' },
  SIBLINGS_TOO_MANY: { status: 409, summary: 'the key already holds the maximum number of siblings; read it and write with its context to resolve them' },
  PRECONDITION_FAILED: { status: 412, summary: 'If-Match / If-None-Match did not hold for the value a quorum read found' },
  VALUE_TOO_LARGE: { status: 413, summary: 'the value is larger than the configured maximum' },
  INSUFFICIENT_STORAGE: { status: 507, summary: "the node's disk is full: the write was not stored (nor acknowledged); reads still work" },
  STORE_DAMAGED: { status: 503, summary: "LevelDB stopped taking writes on the key's replicas after reading a damaged table block: the write was not stored (nor acknowledged); reads still work" },
  QUORUM_NOT_MET: { status: 503, summary: 'fewer replicas than required answered within the request timeout' },
  UNAVAILABLE: { status: 503, summary: 'no node able to coordinate this request could be reached' },
  OVERLOADED: { status: 503, summary: 'the node has as many requests in flight as its limit allows; retry after Retry-After seconds' },
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
