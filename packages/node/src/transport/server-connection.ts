import type { Socket } from 'node:net';
import type { PeerInfo, RpcHandler } from '@ringkv/core';
import { errorMessage } from './error-message.js';
import { FrameDecoder, FrameEncoder, FrameError } from './frame-codec.js';
import { FrameWriter } from './frame-writer.js';
import { handshakeProof, newNonce, proofMatches, type HandshakeTranscript } from './handshake-proof.js';
import type { Request, Response } from './messages.js';
import { ProtocolError, handshakeFrameBytesMax, parseAuth, parseHello, parseRequest } from './messages.js';
import { internalError, responseFor } from './rpc-result.js';
import type { TransportLogger } from './transport-logger.js';

export interface ServerConnectionOptions {
  readonly nodeId: string;
  readonly cluster: string;
  readonly frameBytesMax: number;
  /** When set, a peer must prove it holds the same secret before any request is served. */
  readonly secret?: Uint8Array;
  /** A connection that has not completed the handshake by then is dropped. */
  readonly handshakeTimeoutMs: number;
  /** Requests beyond this many unanswered ones get OVERLOADED at once. */
  readonly inFlightRequestCountMax: number;
  readonly handler: RpcHandler;
  readonly logger: TransportLogger;
  readonly onClose: (connection: ServerConnection) => void;
}

/** Idle-connection probe, so a vanished peer's socket is eventually reaped. */
const keepAliveDelayMs = 10_000;

/**
 * One accepted connection: checks the Hello, then runs every Request through
 * the handler concurrently and writes each Response when its handler settles.
 * Anything malformed from the peer drops this connection only.
 */
export class ServerConnection {
  private readonly decoder: FrameDecoder;
  private readonly encoder: FrameEncoder;
  private readonly writer: FrameWriter;
  private readonly remote: string;
  private peer: PeerInfo | undefined;
  /** Set between our Challenge and the peer's Auth. */
  private pendingProof: HandshakeTranscript | undefined;
  private inFlightCount = 0;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly options: ServerConnectionOptions,
  ) {
    // Until the peer has authenticated it may only send handshake-sized frames.
    this.decoder = new FrameDecoder(Math.min(handshakeFrameBytesMax, options.frameBytesMax));
    this.encoder = new FrameEncoder(options.frameBytesMax);
    this.writer = new FrameWriter(socket);
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, keepAliveDelayMs);
    this.handshakeTimer = setTimeout(
      () => this.drop(`no completed handshake within ${options.handshakeTimeoutMs} ms`),
      options.handshakeTimeoutMs,
    );
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // Reading stops while our responses back up (see respond); resume once
    // the peer has read them, so a peer that never reads cannot grow our
    // write buffer without bound.
    socket.on('drain', () => socket.resume());
    // The 'close' that always follows does the cleanup; a listener must exist
    // or the error would crash the process.
    socket.on('error', () => {});
    socket.on('close', () => this.onSocketClose());
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    try {
      for (const message of this.decoder.feed(chunk)) {
        // A message earlier in this chunk may have dropped the connection.
        if (this.closed || this.socket.destroyed) return;
        this.onMessage(message);
      }
    } catch (error) {
      if (error instanceof FrameError || error instanceof ProtocolError) {
        this.drop(error.message);
        return;
      }
      throw error;
    }
  }

  private onMessage(message: unknown): void {
    if (this.pendingProof !== undefined) {
      this.onAuth(this.pendingProof, message);
      return;
    }
    if (this.peer === undefined) {
      this.onHello(message);
      return;
    }
    const request = parseRequest(message);
    if (this.inFlightCount >= this.options.inFlightRequestCountMax) {
      this.respond({
        t: 'res',
        id: request.id,
        ok: false,
        code: 'OVERLOADED',
        message: `more than ${this.options.inFlightRequestCountMax} requests in flight on this connection`,
      });
      return;
    }
    this.inFlightCount++;
    void this.dispatch(this.peer, request);
  }

  private onHello(message: unknown): void {
    const hello = parseHello(message);
    if (hello.cluster !== this.options.cluster) {
      this.drop(`peer ${hello.nodeId} is in cluster '${hello.cluster}', not '${this.options.cluster}'`);
      return;
    }
    const secret = this.options.secret;
    if (secret === undefined) {
      this.accept(hello.nodeId);
      return;
    }
    if (hello.nonce === undefined) {
      this.drop(`peer ${hello.nodeId} sent no handshake nonce: it has no cluster secret`);
      return;
    }
    const transcript: HandshakeTranscript = {
      cluster: this.options.cluster,
      clientId: hello.nodeId,
      serverId: this.options.nodeId,
      clientNonce: hello.nonce,
      serverNonce: newNonce(),
    };
    this.pendingProof = transcript;
    this.writer.write(
      this.encoder.encode({
        t: 'challenge',
        nodeId: this.options.nodeId,
        nonce: transcript.serverNonce,
        proof: handshakeProof(secret, 'server', transcript),
      }),
    );
  }

  private onAuth(transcript: HandshakeTranscript, message: unknown): void {
    const auth = parseAuth(message);
    const secret = this.options.secret;
    if (secret === undefined) throw new Error('invariant: a challenge was sent without a secret');
    if (!proofMatches(secret, 'client', transcript, auth.proof)) {
      this.drop(`peer ${transcript.clientId} failed the cluster-secret proof`);
      return;
    }
    this.pendingProof = undefined;
    this.accept(transcript.clientId);
  }

  /** The handshake is complete: requests may flow, at full frame size. */
  private accept(peerId: string): void {
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.peer = { nodeId: peerId };
    this.decoder.setFrameBytesMax(this.options.frameBytesMax);
    this.writer.write(this.encoder.encode({ t: 'hello-ok', nodeId: this.options.nodeId }));
  }

  private async dispatch(peer: PeerInfo, request: Request): Promise<void> {
    let response: Response;
    try {
      response = responseFor(request.id, await this.options.handler(peer, request.op, request.body));
    } catch (error) {
      response = internalError(request.id, errorMessage(error));
    } finally {
      this.inFlightCount--;
    }
    if (!this.closed) this.respond(response);
  }

  private respond(response: Response): void {
    let frame: Buffer;
    try {
      frame = this.encoder.encode(response);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      // The caller still gets an answer rather than waiting for its timeout.
      frame = this.encoder.encode(
        error.code === 'FRAME_TOO_LARGE'
          ? { t: 'res', id: response.id, ok: false, code: 'FRAME_TOO_LARGE', message: error.message }
          : internalError(response.id, error.message),
      );
    }
    if (!this.writer.write(frame)) this.socket.pause();
  }

  private drop(reason: string): void {
    if (this.closed || this.socket.destroyed) return;
    this.options.logger.warn({ remote: this.remote, peer: this.peer?.nodeId, reason }, 'dropping rpc connection');
    this.socket.destroy();
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.handshakeTimer);
    this.options.onClose(this);
  }
}
