/**
 * The wire messages of the inter-node RPC protocol and their validation.
 * Every decoded frame goes through exactly one `parse*` here before anything
 * else looks at it; a `ProtocolError` means the peer is broken or hostile and
 * the connection is dropped.
 *
 * Conversation: the connecting side sends `Hello`; the accepting side answers
 * `HelloOk` or closes. Then the connecting side sends `Request`s and the
 * accepting side answers each with a `Response` carrying the same id, in any
 * order.
 *
 * With a cluster secret (see handshake-proof.ts) the Hello carries a nonce and
 * two messages come between it and `HelloOk`: the accepting side answers
 * `Challenge` (its own nonce and its proof over both nonces), the connecting
 * side checks that proof and answers `Auth` (its own proof); only then is
 * `HelloOk` sent. A side that expects proofs and gets none closes.
 */

export const protocolMagic = 'ringkv';
export const protocolVersion = 1;

export const nodeIdCharsMax = 256;
export const clusterCharsMax = 256;
export const opCharsMax = 64;
export const errorCodeCharsMax = 64;
/** Long error messages are truncated by the sender, rejected by the receiver. */
export const errorMessageCharsMax = 4096;
/** Ids are uint32 so they always encode in at most 5 msgpack bytes. */
export const requestIdMax = 0xffff_ffff;
/** Handshake nonces: at least 128 bits so they never repeat, bounded so they cost nothing. */
export const nonceBytesMin = 16;
export const nonceBytesMax = 64;
/** HMAC-SHA256 output. */
export const proofBytes = 32;
/**
 * Bound on every frame before the handshake has completed (both directions):
 * the handshake messages are a few hundred bytes, so an unauthenticated peer
 * can never make us buffer more than this, whatever length prefix it sends.
 */
export const handshakeFrameBytesMax = 4096;

export interface Hello {
  readonly t: 'hello';
  readonly magic: typeof protocolMagic;
  readonly version: typeof protocolVersion;
  readonly nodeId: string;
  readonly cluster: string;
  /** Present when the connecting side has a cluster secret: the server proves itself over it. */
  readonly nonce?: Uint8Array;
}

/** The accepting side's half of the mutual proof (see handshake-proof.ts). */
export interface Challenge {
  readonly t: 'challenge';
  readonly nodeId: string;
  readonly nonce: Uint8Array;
  readonly proof: Uint8Array;
}

/** The connecting side's half of the mutual proof. */
export interface Auth {
  readonly t: 'auth';
  readonly proof: Uint8Array;
}

export interface HelloOk {
  readonly t: 'hello-ok';
  readonly nodeId: string;
}

export interface Request {
  readonly t: 'req';
  readonly id: number;
  readonly op: string;
  readonly body: unknown;
}

export type Response =
  | { readonly t: 'res'; readonly id: number; readonly ok: true; readonly body: unknown }
  | { readonly t: 'res'; readonly id: number; readonly ok: false; readonly code: string; readonly message: string };

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

type Fields = Readonly<Record<string, unknown>>;

function asFields(value: unknown, expectedType: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw new ProtocolError(`expected a '${expectedType}' message object`);
  }
  const fields = value as Fields;
  if (fields['t'] !== expectedType) {
    throw new ProtocolError(`expected message type '${expectedType}', got ${describe(fields['t'])}`);
  }
  return fields;
}

function boundedString(fields: Fields, name: string, charsMax: number, allowEmpty = false): string {
  const value = fields[name];
  if (typeof value !== 'string') throw new ProtocolError(`'${name}' must be a string, got ${describe(value)}`);
  if (value.length > charsMax) throw new ProtocolError(`'${name}' is ${value.length} chars, max ${charsMax}`);
  if (!allowEmpty && value.length === 0) throw new ProtocolError(`'${name}' must not be empty`);
  return value;
}

function boundedBytes(fields: Fields, name: string, bytesMin: number, bytesMax: number): Uint8Array {
  const value = fields[name];
  if (!(value instanceof Uint8Array)) throw new ProtocolError(`'${name}' must be binary, got ${describe(value)}`);
  if (value.length < bytesMin || value.length > bytesMax) {
    throw new ProtocolError(`'${name}' is ${value.length} bytes, expected ${bytesMin}..${bytesMax}`);
  }
  return value;
}

function requestId(fields: Fields): number {
  const id = fields['id'];
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > requestIdMax) {
    throw new ProtocolError(`'id' must be an integer in [0, ${requestIdMax}], got ${describe(id)}`);
  }
  return id;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

export function parseHello(value: unknown): Hello {
  const fields = asFields(value, 'hello');
  if (fields['magic'] !== protocolMagic) throw new ProtocolError('not a ringkv peer (bad magic)');
  if (fields['version'] !== protocolVersion) {
    throw new ProtocolError(`unsupported protocol version ${describe(fields['version'])}, expected ${protocolVersion}`);
  }
  return {
    t: 'hello',
    magic: protocolMagic,
    version: protocolVersion,
    nodeId: boundedString(fields, 'nodeId', nodeIdCharsMax),
    cluster: boundedString(fields, 'cluster', clusterCharsMax),
    ...(fields['nonce'] === undefined ? {} : { nonce: boundedBytes(fields, 'nonce', nonceBytesMin, nonceBytesMax) }),
  };
}

export function parseChallenge(value: unknown): Challenge {
  const fields = asFields(value, 'challenge');
  return {
    t: 'challenge',
    nodeId: boundedString(fields, 'nodeId', nodeIdCharsMax),
    nonce: boundedBytes(fields, 'nonce', nonceBytesMin, nonceBytesMax),
    proof: boundedBytes(fields, 'proof', proofBytes, proofBytes),
  };
}

export function parseAuth(value: unknown): Auth {
  const fields = asFields(value, 'auth');
  return { t: 'auth', proof: boundedBytes(fields, 'proof', proofBytes, proofBytes) };
}

/** The `t` of a decoded message, to tell which handshake message arrived; undefined when there is none. */
export function messageType(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const t = (value as Fields)['t'];
  return typeof t === 'string' ? t : undefined;
}

export function parseHelloOk(value: unknown): HelloOk {
  const fields = asFields(value, 'hello-ok');
  return { t: 'hello-ok', nodeId: boundedString(fields, 'nodeId', nodeIdCharsMax) };
}

export function parseRequest(value: unknown): Request {
  const fields = asFields(value, 'req');
  return { t: 'req', id: requestId(fields), op: boundedString(fields, 'op', opCharsMax), body: fields['body'] };
}

export function parseResponse(value: unknown): Response {
  const fields = asFields(value, 'res');
  const id = requestId(fields);
  if (fields['ok'] === true) return { t: 'res', id, ok: true, body: fields['body'] };
  if (fields['ok'] === false) {
    return {
      t: 'res',
      id,
      ok: false,
      code: boundedString(fields, 'code', errorCodeCharsMax),
      message: boundedString(fields, 'message', errorMessageCharsMax, true),
    };
  }
  throw new ProtocolError(`'ok' must be a boolean, got ${describe(fields['ok'])}`);
}
