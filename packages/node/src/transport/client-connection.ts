import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { RpcResult } from '@ringkv/core';
import { TransportError } from '@ringkv/core';
import { FrameDecoder, FrameEncoder, FrameError } from './frame-codec.js';
import { FrameWriter } from './frame-writer.js';
import { handshakeProof, newNonce, proofMatches } from './handshake-proof.js';
import type { Hello } from './messages.js';
import { ProtocolError, handshakeFrameBytesMax, messageType, parseChallenge, parseHelloOk, parseResponse } from './messages.js';
import { resultOf } from './rpc-result.js';
import type { TransportLogger } from './transport-logger.js';
import { tlsConnectOptions, type TransportTls } from './transport-tls.js';
import { setRunningTimeout } from '../running-timeout.js';
import { systemClock } from '../system-ports.js';

export interface ClientConnectionOptions {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** Source address for the connection (this node's own IP), so peers and firewalls see which node connects. */
  readonly localAddress?: string;
  readonly hello: Hello;
  readonly frameBytesMax: number;
  /** The cluster secret: sent as a nonce in the Hello; the peer must prove it holds it too. */
  readonly secret?: Uint8Array;
  /** Connect with TLS, checking the peer's certificate against `tls.ca`. */
  readonly tls?: TransportTls;
  /** Bound on TCP connect plus the whole handshake. */
  readonly connectTimeoutMs: number;
  readonly logger: TransportLogger;
  readonly onReady: (connection: ClientConnection) => void;
  /** `wasReady` false means the connection attempt itself failed. */
  readonly onClosed: (connection: ClientConnection, wasReady: boolean) => void;
}

interface PendingCall {
  readonly resolve: (result: RpcResult) => void;
  readonly reject: (error: TransportError) => void;
  /** cancels the call's timeout */
  readonly cancelTimer: () => void;
}

interface QueuedFrame {
  readonly id: number;
  readonly frame: Buffer;
}

type State = 'connecting' | 'ready' | 'closed';

const keepAliveDelayMs = 10_000;

/**
 * One outbound connection to a peer: connects, says Hello, and matches
 * Responses to calls by id. Calls made before the handshake completes are
 * queued and sent once it does. When the connection fails every unanswered
 * call is rejected: UNREACHABLE if it never became ready, CLOSED after.
 */
export class ClientConnection {
  private state: State = 'connecting';
  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly encoder: FrameEncoder;
  private readonly writer: FrameWriter;
  private readonly pending = new Map<number, PendingCall>();
  private queued: QueuedFrame[] = [];
  private readonly cancelConnectTimer: () => void;
  private socketError: Error | undefined;
  /** Our Hello nonce, when we have a secret; the peer's Challenge must prove itself over it. */
  private readonly nonce: Buffer | undefined;
  /** The peer's Challenge verified: its HelloOk may now be taken. */
  private peerProved = false;

  constructor(private readonly options: ClientConnectionOptions) {
    // A peer that has not authenticated yet may only send handshake-sized frames.
    this.decoder = new FrameDecoder(Math.min(handshakeFrameBytesMax, options.frameBytesMax));
    this.nonce = options.secret === undefined ? undefined : newNonce();
    this.encoder = new FrameEncoder(options.frameBytesMax);
    // Timeouts count only time this process ran (running-timeout.ts): a peer's answer that arrived
    // while it was stopped is taken, not timed out.
    this.cancelConnectTimer = setRunningTimeout(systemClock, options.connectTimeoutMs, () =>
      this.close('UNREACHABLE', `no connection and handshake within ${options.connectTimeoutMs} ms`),
    );
    const target = {
      host: options.host,
      port: options.port,
      noDelay: true,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    };
    this.socket = options.tls === undefined ? connect(target) : connectTls({ ...target, ...tlsConnectOptions(options.tls, options.host) });
    this.writer = new FrameWriter(this.socket);
    this.socket.setKeepAlive(true, keepAliveDelayMs);
    const hello: Hello = this.nonce === undefined ? options.hello : { ...options.hello, nonce: this.nonce };
    // With TLS, nothing is written before the peer's certificate has been verified.
    this.socket.on(options.tls === undefined ? 'connect' : 'secureConnect', () => this.writer.write(this.encoder.encode(hello)));
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error) => {
      this.socketError = error;
    });
    this.socket.on('close', () => this.close(this.state === 'ready' ? 'CLOSED' : 'UNREACHABLE', this.closeReason()));
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Sends a framed request and resolves with its response. */
  call(id: number, frame: Buffer, timeoutMs: number): Promise<RpcResult> {
    if (this.state === 'closed') {
      return Promise.reject(new TransportError('CLOSED', `${this.options.address}: connection closed`));
    }
    return new Promise((resolve, reject) => {
      // Deleting the id makes a late response fall on the floor in onResponse.
      const cancelTimer = setRunningTimeout(systemClock, timeoutMs, () => {
        if (this.pending.delete(id)) {
          reject(new TransportError('TIMEOUT', `${this.options.address}: no response within ${timeoutMs} ms`));
        }
      });
      this.pending.set(id, { resolve, reject, cancelTimer });
      if (this.state === 'ready') this.writer.write(frame);
      else this.queued.push({ id, frame });
    });
  }

  /** Ends the connection, rejecting every unanswered call with `code`. */
  close(code: 'UNREACHABLE' | 'CLOSED', reason: string): void {
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.state = 'closed';
    this.cancelConnectTimer();
    this.queued = [];
    this.socket.destroy();
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) {
      call.cancelTimer();
      call.reject(new TransportError(code, `${this.options.address}: ${reason}`));
    }
    this.options.onClosed(this, wasReady);
  }

  private closeReason(): string {
    if (this.socketError) return this.socketError.message;
    return this.state === 'ready' ? 'peer closed the connection' : 'peer closed the connection during the handshake';
  }

  private onData(chunk: Buffer): void {
    try {
      for (const message of this.decoder.feed(chunk)) {
        if (this.state === 'closed') return;
        if (this.state === 'connecting') this.onHandshake(message);
        else this.onResponse(message);
      }
    } catch (error) {
      if (!(error instanceof FrameError || error instanceof ProtocolError)) throw error;
      this.options.logger.warn(
        { peer: this.options.address, reason: error.message },
        'dropping rpc connection: invalid frame from peer',
      );
      this.close(this.state === 'ready' ? 'CLOSED' : 'UNREACHABLE', `invalid frame from peer: ${error.message}`);
    }
  }

  private onHandshake(message: unknown): void {
    const secret = this.options.secret;
    const nonce = this.nonce;
    if (messageType(message) === 'challenge') {
      const challenge = parseChallenge(message);
      if (this.peerProved) throw new ProtocolError('the peer sent a second challenge');
      if (secret === undefined || nonce === undefined) {
        throw new ProtocolError('the peer requires a cluster secret and this node has none');
      }
      const transcript = {
        cluster: this.options.hello.cluster,
        clientId: this.options.hello.nodeId,
        serverId: challenge.nodeId,
        clientNonce: nonce,
        serverNonce: challenge.nonce,
      };
      if (!proofMatches(secret, 'server', transcript, challenge.proof)) {
        throw new ProtocolError(`peer ${challenge.nodeId} failed the cluster-secret proof`);
      }
      this.writer.write(this.encoder.encode({ t: 'auth', proof: handshakeProof(secret, 'client', transcript) }));
      this.peerProved = true;
      return;
    }
    parseHelloOk(message);
    // Without this a peer (or an impostor) without the secret could take our requests.
    if (secret !== undefined && !this.peerProved) throw new ProtocolError('the peer did not prove the cluster secret');
    this.decoder.setFrameBytesMax(this.options.frameBytesMax);
    this.state = 'ready';
    this.cancelConnectTimer();
    const queued = this.queued;
    this.queued = [];
    for (const { id, frame } of queued) {
      // Calls that timed out while we were connecting are not sent at all.
      if (this.pending.has(id)) this.writer.write(frame);
    }
    this.options.onReady(this);
  }

  private onResponse(message: unknown): void {
    const response = parseResponse(message);
    const call = this.pending.get(response.id);
    if (call === undefined) return; // timed out earlier: the caller has moved on
    this.pending.delete(response.id);
    call.cancelTimer();
    call.resolve(resultOf(response));
  }
}
