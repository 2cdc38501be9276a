import { connect, type Socket } from 'node:net';
import type { RpcResult } from '@ringkv/core';
import { TransportError } from '@ringkv/core';
import { FrameDecoder, FrameEncoder, FrameError } from './frame-codec.js';
import { FrameWriter } from './frame-writer.js';
import type { Hello } from './messages.js';
import { ProtocolError, parseHelloOk, parseResponse } from './messages.js';
import { resultOf } from './rpc-result.js';
import type { TransportLogger } from './transport-logger.js';

export interface ClientConnectionOptions {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** Source address for the connection (this node's own IP), so peers and firewalls see which node connects. */
  readonly localAddress?: string;
  readonly hello: Hello;
  readonly frameBytesMax: number;
  /** Bound on TCP connect plus the Hello/HelloOk exchange. */
  readonly connectTimeoutMs: number;
  readonly logger: TransportLogger;
  readonly onReady: (connection: ClientConnection) => void;
  /** `wasReady` false means the connection attempt itself failed. */
  readonly onClosed: (connection: ClientConnection, wasReady: boolean) => void;
}

interface PendingCall {
  readonly resolve: (result: RpcResult) => void;
  readonly reject: (error: TransportError) => void;
  readonly timer: NodeJS.Timeout;
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
  private connectTimer: NodeJS.Timeout | undefined;
  private socketError: Error | undefined;

  constructor(private readonly options: ClientConnectionOptions) {
    this.decoder = new FrameDecoder(options.frameBytesMax);
    this.encoder = new FrameEncoder(options.frameBytesMax);
    this.connectTimer = setTimeout(
      () => this.close('UNREACHABLE', `no connection and handshake within ${options.connectTimeoutMs} ms`),
      options.connectTimeoutMs,
    );
    this.socket = connect({
      host: options.host,
      port: options.port,
      noDelay: true,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    this.writer = new FrameWriter(this.socket);
    this.socket.setKeepAlive(true, keepAliveDelayMs);
    this.socket.on('connect', () => this.writer.write(this.encoder.encode(options.hello)));
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
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) {
          reject(new TransportError('TIMEOUT', `${this.options.address}: no response within ${timeoutMs} ms`));
        }
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      if (this.state === 'ready') this.writer.write(frame);
      else this.queued.push({ id, frame });
    });
  }

  /** Ends the connection, rejecting every unanswered call with `code`. */
  close(code: 'UNREACHABLE' | 'CLOSED', reason: string): void {
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.state = 'closed';
    clearTimeout(this.connectTimer);
    this.queued = [];
    this.socket.destroy();
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) {
      clearTimeout(call.timer);
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
        if (this.state === 'connecting') this.onHelloOk(message);
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

  private onHelloOk(message: unknown): void {
    parseHelloOk(message);
    this.state = 'ready';
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
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
    clearTimeout(call.timer);
    call.resolve(resultOf(response));
  }
}
