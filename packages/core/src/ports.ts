/**
 * The small interfaces through which node logic touches the world. `core` only
 * declares them; `node` implements them with real timers, sockets and LevelDB,
 * and `sim` with a deterministic scheduler, network and in-memory store.
 */

/** Time. `now()` is wall-clock milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; the returned function cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** Randomness, seeded in the simulator. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
}

/** One write in a store batch. */
export type StoreOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array };

export interface StoreRange {
  readonly gte?: Uint8Array;
  readonly lt?: Uint8Array;
  readonly limit?: number;
}

/**
 * An ordered byte key-value store (LevelDB in production, memory in the
 * simulator). Keys compare bytewise. A batch is atomic. With `sync` the batch
 * is durable when the promise resolves; without it, it survives a process
 * crash but maybe not a machine crash.
 */
export interface Store {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  write(ops: readonly StoreOp[], options?: { readonly sync?: boolean }): Promise<void>;
  /** Entries in key order within the range. */
  iterate(range: StoreRange): AsyncIterable<readonly [Uint8Array, Uint8Array]>;
  close(): Promise<void>;
}

/** Who sent an RPC, as established by the connection handshake. */
export interface PeerInfo {
  readonly nodeId: string;
}

/** What a handler answers: a body, or an error with a stable code. */
export type RpcResult =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string };

export type RpcHandler = (from: PeerInfo, op: string, body: unknown) => Promise<RpcResult>;

/**
 * Request/response messaging between nodes, addressed by RPC address
 * ("host:port"). Bodies are plain data (msgpack-encodable); their shapes are
 * validated by the receiver, never trusted.
 *
 * `request` rejects with a `TransportError` when the peer cannot be reached,
 * the connection drops, or no answer arrives within `timeoutMs`; it resolves
 * with the handler's `RpcResult` otherwise (including handler errors).
 */
export interface Transport {
  request(to: string, op: string, body: unknown, timeoutMs: number): Promise<RpcResult>;
  /**
   * The failure detector heard from the peer at `to` (e.g. it came back):
   * drop any connect backoff so the next request tries it at once.
   */
  peerAlive?(to: string): void;
  /** Starts accepting requests; resolves once listening. */
  listen(handler: RpcHandler): Promise<void>;
  close(): Promise<void>;
}

export type TransportErrorCode = 'TIMEOUT' | 'UNREACHABLE' | 'CLOSED' | 'FRAME_TOO_LARGE';

export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}
