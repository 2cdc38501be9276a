import type { RpcResult } from '@ringkv/core';
import { TransportError } from '@ringkv/core';
import { parseAddress } from './address.js';
import { ClientConnection } from './client-connection.js';
import { connectBackoffMs } from './connect-backoff.js';
import type { Hello } from './messages.js';
import type { TransportLogger } from './transport-logger.js';
import type { TransportTls } from './transport-tls.js';

export interface PeerPoolOptions {
  readonly hello: Hello;
  readonly frameBytesMax: number;
  /** See TcpTransportOptions.secret. */
  readonly secret?: Uint8Array;
  /** See TcpTransportOptions.tls. */
  readonly tls?: TransportTls;
  readonly connectTimeoutMs: number;
  /** Source address of every outbound connection (see TcpTransportOptions.localAddress). */
  readonly localAddress?: string;
  readonly logger: TransportLogger;
  /** Monotonic milliseconds, for the backoff. */
  readonly now: () => number;
}

interface PeerLink {
  connection: ClientConnection | undefined;
  /** Consecutive failed connection attempts; reset by a completed handshake. */
  failureCount: number;
  /** Until then, calls fail fast instead of trying to connect. */
  retryAtMs: number;
}

/**
 * Outbound connections, one persistent connection per peer address, opened on
 * first use and replaced on the first call after it drops. After a failed
 * attempt calls fail fast with UNREACHABLE for a backoff period, so a dead
 * peer costs one connect attempt per period rather than one per call.
 */
export class PeerPool {
  private readonly links = new Map<string, PeerLink>();
  private closed = false;

  constructor(private readonly options: PeerPoolOptions) {}

  call(address: string, id: number, frame: Buffer, timeoutMs: number): Promise<RpcResult> {
    if (this.closed) return Promise.reject(new TransportError('CLOSED', 'transport closed'));
    let connection: ClientConnection;
    try {
      connection = this.connectionTo(address);
    } catch (error) {
      return Promise.reject(error);
    }
    return connection.call(id, frame, timeoutMs);
  }

  /** Open (or opening) connections. */
  get connectionCount(): number {
    let count = 0;
    for (const link of this.links.values()) if (link.connection) count++;
    return count;
  }

  /** The peer was heard from (it connected to us): forget a connect backoff so the next call tries at once. */
  forgiveBackoff(address: string): void {
    const link = this.links.get(address);
    if (link !== undefined && link.connection === undefined) this.links.delete(address);
  }

  close(): void {
    this.closed = true;
    const links = [...this.links.values()];
    this.links.clear();
    for (const link of links) link.connection?.close('CLOSED', 'transport closed');
  }

  private connectionTo(address: string): ClientConnection {
    let link = this.links.get(address);
    if (link?.connection) return link.connection;
    if (link && this.options.now() < link.retryAtMs) {
      throw new TransportError(
        'UNREACHABLE',
        `${address}: not retrying yet after ${link.failureCount} failed connection attempt(s)`,
      );
    }
    const hostPort = parseAddress(address);
    if (hostPort === undefined) throw new TransportError('UNREACHABLE', `'${address}' is not a host:port address`);
    if (link === undefined) {
      link = { connection: undefined, failureCount: 0, retryAtMs: 0 };
      this.links.set(address, link);
    }
    const owner = link;
    owner.connection = new ClientConnection({
      address,
      host: hostPort.host,
      port: hostPort.port,
      ...(this.options.localAddress === undefined ? {} : { localAddress: this.options.localAddress }),
      hello: this.options.hello,
      frameBytesMax: this.options.frameBytesMax,
      ...(this.options.secret === undefined ? {} : { secret: this.options.secret }),
      ...(this.options.tls === undefined ? {} : { tls: this.options.tls }),
      connectTimeoutMs: this.options.connectTimeoutMs,
      logger: this.options.logger,
      onReady: () => {
        owner.failureCount = 0;
        owner.retryAtMs = 0;
      },
      onClosed: (connection, wasReady) => this.onClosed(address, owner, connection, wasReady),
    });
    return owner.connection;
  }

  private onClosed(address: string, link: PeerLink, connection: ClientConnection, wasReady: boolean): void {
    if (this.closed || link.connection !== connection) return;
    link.connection = undefined;
    if (wasReady) {
      // A healthy peer that hung up: reconnect on the next call, and keep no
      // state for it meanwhile.
      if (this.links.get(address) === link) this.links.delete(address);
      return;
    }
    link.failureCount++;
    link.retryAtMs = this.options.now() + connectBackoffMs(link.failureCount);
  }
}
