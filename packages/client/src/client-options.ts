/** What a RingkvClient is built with and what its calls take and give back. */
import type { Sibling } from './siblings-body.js';

/**
 * `partition-aware`: send each key operation straight to a replica of the key,
 * found in the ring fetched from GET /ring (writes to a primary, which
 * coordinates without forwarding). `any`: to the nodes in turn.
 */
export type Routing = 'partition-aware' | 'any';

export interface RingkvClientOptions {
  /** base URLs of the nodes, e.g. `http://127.0.0.1:7001` */
  readonly nodes: readonly string[];
  /** connect, response-headers and body timeout per request (default 10 s) */
  readonly timeoutMs?: number;
  /** connections kept per node (default 8) */
  readonly connectionsPerNode?: number;
  /** default `partition-aware`; use `any` when the nodes' advertised addresses are not reachable from the client (proxy, NAT) */
  readonly routing?: Routing;
  /** how old the cached ring may get before a request refreshes it in the background (default 10 s) */
  readonly ringRefreshMs?: number;
  /** bearer token sent as `Authorization: Bearer <token>` with every request (nodes started with --auth-token) */
  readonly token?: string;
  /** PEM CA certificate(s) to verify `https://` nodes against, instead of the system's CAs (a private CA) */
  readonly ca?: string | Buffer;
}

export type GetResult =
  | { readonly found: false; readonly context?: string }
  | { readonly found: true; readonly siblings: readonly Sibling[]; readonly context: string; readonly etag?: string };

export interface GetOptions {
  /** read quorum for this request (1..N) */
  readonly r?: number;
  /** how many of the R replies must come from primaries (0..R; `?pr=`) */
  readonly pr?: number;
  /** ask this node instead of the next one in turn */
  readonly node?: string;
}

export interface PutOptions {
  /** the context from the read (or write) this value is based on */
  readonly context?: string;
  /** default: text/plain; charset=utf-8 for strings, application/octet-stream for bytes */
  readonly contentType?: string;
  readonly w?: number;
  /** how many of the W acks must come from replicas that fsynced the write (`?dw=`; 0..N) */
  readonly dw?: number;
  /** ask the node to answer with the value(s) now stored (`?returnbody=true`) */
  readonly returnBody?: boolean;
  readonly node?: string;
  /** seconds until the value expires (`?ttl=`) */
  readonly ttl?: number;
  /** write only if the key's current ETag is this one (`If-Match`; `*`: if any value is live); else RingkvHttpError 412 */
  readonly ifMatch?: string;
  /** `*`: create only if no value is live (`If-None-Match`); else RingkvHttpError 412 */
  readonly ifNoneMatch?: string;
}

export interface PutResult {
  /** covers the context sent plus the value just written: pass it to the next write */
  readonly context: string;
  /** present with `returnBody` */
  readonly siblings?: readonly Sibling[];
  /** the ETag of what the coordinating replica holds after the write (for the next If-Match) */
  readonly etag?: string;
}

/**
 * Where an /admin/cluster call goes. Staging is kept on the node you talk to,
 * so admin calls never rotate between nodes: `node`, else the first of `nodes`.
 */
export interface AdminOptions {
  readonly node?: string;
}

export interface DeleteOptions {
  readonly context?: string;
  readonly w?: number;
  /** how many of the W acks must come from replicas that fsynced the write (`?dw=`; 0..N) */
  readonly dw?: number;
  readonly node?: string;
}

/** What `POST /admin/repair` answers. */
export interface RepairSummary {
  readonly partitions: number;
  readonly exchanges: number;
  readonly failed: number;
  readonly keysRepaired: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}
