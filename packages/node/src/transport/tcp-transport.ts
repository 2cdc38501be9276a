import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { RpcHandler, RpcResult, Transport } from '@ringkv/core';
import { TransportError } from '@ringkv/core';
import { formatAddress } from './address.js';
import { FrameEncoder, FrameError, frameBytesMaxDefault } from './frame-codec.js';
import type { Hello } from './messages.js';
import { clusterCharsMax, nodeIdCharsMax, opCharsMax, protocolMagic, protocolVersion, requestIdMax } from './messages.js';
import { PeerPool } from './peer-pool.js';
import { ServerConnection } from './server-connection.js';
import { silentLogger, type TransportLogger } from './transport-logger.js';
import { tlsServerOptions, type TransportTls } from './transport-tls.js';

export interface TcpTransportOptions {
  /** This node's id, sent in the Hello and seen by peers' handlers as `from`. */
  readonly nodeId: string;
  /** Peers whose Hello names another cluster are refused. */
  readonly cluster: string;
  readonly listenHost: string;
  /** 0 picks a free port; `address()` tells which. */
  readonly listenPort: number;
  /**
   * Source address of outbound connections to peers (normally this node's own
   * listen address, when that is one concrete IPv4 address; see
   * `outboundLocalAddress`). Default: chosen by the OS.
   */
  readonly localAddress?: string;
  /** Bound on one frame's payload, both directions. Default 64 MiB. */
  readonly frameBytesMax?: number;
  /** Bound on TCP connect plus handshake to a peer. Default 1000 ms. */
  readonly connectTimeoutMs?: number;
  /** Accepted connections must send a valid Hello within this. Default 2000 ms. */
  readonly handshakeTimeoutMs?: number;
  /** Per accepted connection; more get OVERLOADED. Default 4096. */
  readonly inFlightRequestCountMax?: number;
  /** Accepted connections beyond this are refused by the kernel listener. Default 1024. */
  readonly serverConnectionCountMax?: number;
  /**
   * The cluster secret. When set, both sides of every connection prove they
   * hold it (HMAC challenge-response, see handshake-proof.ts) before a single
   * request is served; a peer without it is refused either way round.
   */
  readonly secret?: Uint8Array;
  /** Serve and connect over TLS (see transport-tls.ts). */
  readonly tls?: TransportTls;
  readonly logger?: TransportLogger;
}

export interface TcpTransportStats {
  readonly serverConnectionCount: number;
  readonly clientConnectionCount: number;
}

export const connectTimeoutMsDefault = 1000;
export const handshakeTimeoutMsDefault = 2000;
export const inFlightRequestCountMaxDefault = 4096;
export const serverConnectionCountMaxDefault = 1024;

/**
 * The inter-node RPC transport over TCP: length-prefixed msgpack frames, one
 * persistent outbound connection per peer, requests multiplexed by id and
 * answered in any order.
 */
export class TcpTransport implements Transport {
  private readonly encoder: FrameEncoder;
  private readonly pool: PeerPool;
  private readonly serverConnections = new Set<ServerConnection>();
  private server: Server | undefined;
  /** Settles once `listen` has bound (or failed), so `close` can wait for it. */
  private binding: Promise<void> | undefined;
  private listeningAddress: string | undefined;
  private nextRequestId = 0;
  private closing: Promise<void> | undefined;
  private readonly frameBytesMax: number;
  private readonly handshakeTimeoutMs: number;
  private readonly inFlightRequestCountMax: number;
  private readonly serverConnectionCountMax: number;
  private readonly logger: TransportLogger;

  constructor(private readonly options: TcpTransportOptions) {
    checkName('nodeId', options.nodeId, nodeIdCharsMax);
    checkName('cluster', options.cluster, clusterCharsMax);
    this.frameBytesMax = options.frameBytesMax ?? frameBytesMaxDefault;
    this.handshakeTimeoutMs = positiveInteger('handshakeTimeoutMs', options.handshakeTimeoutMs ?? handshakeTimeoutMsDefault);
    this.inFlightRequestCountMax = positiveInteger(
      'inFlightRequestCountMax',
      options.inFlightRequestCountMax ?? inFlightRequestCountMaxDefault,
    );
    this.serverConnectionCountMax = positiveInteger(
      'serverConnectionCountMax',
      options.serverConnectionCountMax ?? serverConnectionCountMaxDefault,
    );
    this.logger = options.logger ?? silentLogger;
    this.encoder = new FrameEncoder(this.frameBytesMax);
    const hello: Hello = {
      t: 'hello',
      magic: protocolMagic,
      version: protocolVersion,
      nodeId: options.nodeId,
      cluster: options.cluster,
    };
    this.pool = new PeerPool({
      hello,
      frameBytesMax: this.frameBytesMax,
      ...(options.secret === undefined ? {} : { secret: options.secret }),
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      connectTimeoutMs: positiveInteger('connectTimeoutMs', options.connectTimeoutMs ?? connectTimeoutMsDefault),
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      logger: this.logger,
      now: () => performance.now(),
    });
  }

  /** The "host:port" actually listened on; only valid after `listen`. */
  address(): string {
    if (this.listeningAddress === undefined) throw new Error('TcpTransport.address() called before listen()');
    return this.listeningAddress;
  }

  stats(): TcpTransportStats {
    return { serverConnectionCount: this.serverConnections.size, clientConnectionCount: this.pool.connectionCount };
  }

  async request(to: string, op: string, body: unknown, timeoutMs: number): Promise<RpcResult> {
    if (this.closing) throw new TransportError('CLOSED', 'transport closed');
    if (op.length === 0 || op.length > opCharsMax) throw new RangeError(`op must be 1..${opCharsMax} chars: '${op}'`);
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);
    const id = this.nextRequestId;
    this.nextRequestId = id === requestIdMax ? 0 : id + 1;
    let frame: Buffer;
    try {
      frame = this.encoder.encode({ t: 'req', id, op, body });
    } catch (error) {
      if (error instanceof FrameError && error.code === 'FRAME_TOO_LARGE') {
        throw new TransportError('FRAME_TOO_LARGE', `request to ${to}: ${error.message}`);
      }
      throw error;
    }
    return this.pool.call(to, id, frame, timeoutMs);
  }

  async listen(handler: RpcHandler): Promise<void> {
    if (this.closing) throw new TransportError('CLOSED', 'transport closed');
    if (this.server) throw new Error('TcpTransport is already listening');
    const tls = this.options.tls;
    const server =
      tls === undefined
        ? createServer({ noDelay: true }, (socket) => this.accept(socket, handler))
        : createTlsServer(tlsServerOptions(tls, this.handshakeTimeoutMs), (socket) => this.accept(socket, handler));
    if (tls !== undefined) {
      // A peer without a valid certificate (or speaking plain TCP) fails here, before any frame is read.
      server.on('tlsClientError', (error, socket) => {
        this.logger.warn({ remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, reason: error.message }, 'refused rpc connection: TLS handshake failed');
      });
    }
    server.maxConnections = this.serverConnectionCountMax;
    this.server = server;
    this.binding = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.options.listenHost, port: this.options.listenPort }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    try {
      await this.binding;
    } catch (error) {
      this.server = undefined;
      throw error;
    }
    // Errors after listening (rare: e.g. EMFILE on accept) must not crash the node.
    server.on('error', (error) => this.logger.warn({ err: error }, 'rpc server error'));
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new Error('invariant: TCP server has no host/port address');
    this.listeningAddress = formatAddress(bound.address, bound.port);
  }

  /** Stops listening, drops every connection (unanswered calls get CLOSED). */
  /** See Transport.peerAlive. */
  peerAlive(address: string): void {
    this.pool.forgiveBackoff(address);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.pool.close();
    for (const connection of this.serverConnections) connection.destroy();
    // A close racing a listen must not leave the port bound.
    await this.binding?.catch(() => {});
    const server = this.server;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket, handler: RpcHandler): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const connection = new ServerConnection(socket, {
      nodeId: this.options.nodeId,
      cluster: this.options.cluster,
      frameBytesMax: this.frameBytesMax,
      ...(this.options.secret === undefined ? {} : { secret: this.options.secret }),
      handshakeTimeoutMs: this.handshakeTimeoutMs,
      inFlightRequestCountMax: this.inFlightRequestCountMax,
      handler,
      logger: this.logger,
      onClose: (closed) => this.serverConnections.delete(closed),
    });
    this.serverConnections.add(connection);
  }
}

function checkName(name: string, value: string, charsMax: number): void {
  if (value.length === 0 || value.length > charsMax) {
    throw new RangeError(`${name} must be 1..${charsMax} chars, got ${value.length}`);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
