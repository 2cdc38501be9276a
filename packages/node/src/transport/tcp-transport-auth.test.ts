import { connect } from 'node:net';
import type { RpcHandler } from '@ringkv/core';
import { TransportError } from '@ringkv/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder, FrameEncoder } from './frame-codec.js';
import { handshakeProof, newNonce, proofMatches, type HandshakeTranscript } from './handshake-proof.js';
import { handshakeFrameBytesMax } from './messages.js';
import { TcpTransport, type TcpTransportOptions } from './tcp-transport.js';
import type { TransportLogger } from './transport-logger.js';

const cluster = 'auth-cluster';
const secret = Buffer.from('correct horse battery staple');
const wrongSecret = Buffer.from('tr0ub4dor&3');
const timeoutMs = 2000;

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

function recordingLogger(): TransportLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (obj, msg) => lines.push(`${msg} ${JSON.stringify(obj)}`) };
}

async function errorCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TransportError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('handshakeProof', () => {
  const transcript: HandshakeTranscript = {
    cluster,
    clientId: 'a',
    serverId: 'b',
    clientNonce: newNonce(),
    serverNonce: newNonce(),
  };

  it('verifies its own proof and nothing else', () => {
    const proof = handshakeProof(secret, 'client', transcript);
    expect(proofMatches(secret, 'client', transcript, proof)).toBe(true);
    expect(proofMatches(wrongSecret, 'client', transcript, proof)).toBe(false);
    // A server proof is never a client proof: reflecting a challenge back does not authenticate.
    expect(proofMatches(secret, 'server', transcript, proof)).toBe(false);
    expect(proofMatches(secret, 'client', { ...transcript, clientId: 'c' }, proof)).toBe(false);
    expect(proofMatches(secret, 'client', { ...transcript, serverNonce: newNonce() }, proof)).toBe(false);
    expect(proofMatches(secret, 'client', transcript, proof.subarray(0, 31))).toBe(false);
  });

  it('encodes fields unambiguously', () => {
    const a = handshakeProof(secret, 'client', { ...transcript, clientId: 'ab', serverId: 'c' });
    const b = handshakeProof(secret, 'client', { ...transcript, clientId: 'a', serverId: 'bc' });
    expect(a.equals(b)).toBe(false);
  });
});

describe('TcpTransport with a cluster secret', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    await Promise.allSettled(cleanups.splice(0).reverse().map(async (c) => c()));
  });

  function transport(nodeId: string, overrides: Partial<TcpTransportOptions> = {}): TcpTransport {
    const t = new TcpTransport({ nodeId, cluster, listenHost: '127.0.0.1', listenPort: 0, ...overrides });
    cleanups.push(() => t.close());
    return t;
  }

  /** A listening node with a secret; counts the requests its handler served. */
  async function securedServer(overrides: Partial<TcpTransportOptions> = {}) {
    const logger = recordingLogger();
    const served: string[] = [];
    const handler: RpcHandler = async (from, _op, body) => {
      served.push(from.nodeId);
      return { ok: true, body };
    };
    const server = transport('server', { secret, logger, ...overrides });
    await server.listen(handler);
    return { server, served, logger };
  }

  it('serves a peer holding the same secret', async () => {
    const { server, served } = await securedServer();
    const client = transport('good', { secret });
    expect(await client.request(server.address(), 'echo', 'hi', timeoutMs)).toEqual({ ok: true, body: 'hi' });
    expect(served).toEqual(['good']);
  });

  it('refuses a peer without the secret, and one with the wrong secret, before serving anything', async () => {
    const { server, served, logger } = await securedServer();
    expect(await errorCodeOf(transport('nosecret').request(server.address(), 'echo', 1, timeoutMs))).toBe('UNREACHABLE');
    expect(await errorCodeOf(transport('wrong', { secret: wrongSecret }).request(server.address(), 'echo', 1, timeoutMs))).toBe(
      'UNREACHABLE',
    );
    expect(served).toEqual([]);
    const text = logger.lines.join('\n');
    expect(text).toContain('no handshake nonce');
    // Either side may notice first: the server cannot verify the client, or the client cannot verify the server.
    expect(text).not.toContain(secret.toString());
    expect(text).not.toContain(wrongSecret.toString());
    // Still serving the right peers.
    expect((await transport('good', { secret }).request(server.address(), 'echo', 2, timeoutMs)).ok).toBe(true);
  });

  it('does not send requests to a node that cannot prove the secret (an impostor)', async () => {
    const served: string[] = [];
    const impostor = transport('impostor');
    await impostor.listen(async (from) => {
      served.push(from.nodeId);
      return { ok: true, body: 'stolen' };
    });
    const logger = recordingLogger();
    const client = transport('client', { secret, logger });
    expect(await errorCodeOf(client.request(impostor.address(), 'put', 'secret data', timeoutMs))).toBe('UNREACHABLE');
    expect(served).toEqual([]);
    expect(logger.lines.join('\n')).toContain('did not prove the cluster secret');
  });

  /** A raw socket speaking the handshake by hand. */
  async function raw(address: string) {
    const socket = connect({ host: '127.0.0.1', port: portOf(address) });
    cleanups.push(() => socket.destroy());
    const decoder = new FrameDecoder();
    const messages: unknown[] = [];
    let wake: () => void = () => {};
    socket.on('data', (chunk: Buffer) => {
      for (const m of decoder.feed(chunk)) messages.push(m);
      wake();
    });
    socket.on('error', () => {});
    let isClosed = false;
    const closed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        isClosed = true;
        wake();
        resolve();
      }),
    );
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const next = async (): Promise<unknown> => {
      while (messages.length === 0 && !isClosed) await new Promise<void>((resolve) => (wake = resolve));
      return messages.shift();
    };
    return { socket, closed, next, encoder: new FrameEncoder() };
  }

  it('drops a raw peer answering the challenge with a wrong HMAC, and never says hello-ok', async () => {
    const { server, served, logger } = await securedServer();
    const peer = await raw(server.address());
    const nonce = newNonce();
    peer.socket.write(peer.encoder.encode({ t: 'hello', magic: 'ringkv', version: 1, nodeId: 'raw', cluster, nonce }));
    const challenge = (await peer.next()) as { t: string; nodeId: string; nonce: Uint8Array; proof: Uint8Array };
    expect(challenge.t).toBe('challenge');
    // The server proved itself over our nonce...
    const transcript = { cluster, clientId: 'raw', serverId: challenge.nodeId, clientNonce: nonce, serverNonce: challenge.nonce };
    expect(proofMatches(secret, 'server', transcript, challenge.proof)).toBe(true);
    // ...we answer with a proof made with the wrong secret.
    peer.socket.write(peer.encoder.encode({ t: 'auth', proof: handshakeProof(wrongSecret, 'client', transcript) }));
    await peer.closed;
    expect(await peer.next()).toBeUndefined();
    expect(served).toEqual([]);
    expect(logger.lines.join('\n')).toContain('failed the cluster-secret proof');

    // Replaying the server's own proof as ours (a reflection) fails too.
    const second = await raw(server.address());
    second.socket.write(second.encoder.encode({ t: 'hello', magic: 'ringkv', version: 1, nodeId: 'raw', cluster, nonce }));
    const c2 = (await second.next()) as { proof: Uint8Array };
    second.socket.write(second.encoder.encode({ t: 'auth', proof: c2.proof }));
    await second.closed;
    expect(served).toEqual([]);
  });

  it('accepts a raw peer with the right HMAC (the test can fail)', async () => {
    const { server, served } = await securedServer();
    const peer = await raw(server.address());
    const nonce = newNonce();
    peer.socket.write(peer.encoder.encode({ t: 'hello', magic: 'ringkv', version: 1, nodeId: 'raw', cluster, nonce }));
    const challenge = (await peer.next()) as { nodeId: string; nonce: Uint8Array };
    const transcript = { cluster, clientId: 'raw', serverId: challenge.nodeId, clientNonce: nonce, serverNonce: challenge.nonce };
    peer.socket.write(peer.encoder.encode({ t: 'auth', proof: handshakeProof(secret, 'client', transcript) }));
    expect(await peer.next()).toEqual({ t: 'hello-ok', nodeId: 'server' });
    peer.socket.write(peer.encoder.encode({ t: 'req', id: 1, op: 'echo', body: 'x' }));
    expect(await peer.next()).toEqual({ t: 'res', id: 1, ok: true, body: 'x' });
    expect(served).toEqual(['raw']);
  });

  it('bounds frames before authentication to the handshake size, and lifts the bound after', async () => {
    const { server } = await securedServer();
    const peer = await raw(server.address());
    // Just over the handshake bound: refused on the header alone (the payload never arrives).
    const header = Buffer.alloc(4);
    header.writeUInt32BE(handshakeFrameBytesMax + 1, 0);
    peer.socket.write(header);
    await peer.closed;

    const big = 'v'.repeat(100_000);
    const client = transport('good', { secret });
    expect(await client.request(server.address(), 'echo', big, timeoutMs)).toEqual({ ok: true, body: big });
  });

  it('applies the handshake timeout to a peer that stops after its hello', async () => {
    const { server, served } = await securedServer({ handshakeTimeoutMs: 100 });
    const peer = await raw(server.address());
    peer.socket.write(peer.encoder.encode({ t: 'hello', magic: 'ringkv', version: 1, nodeId: 'raw', cluster, nonce: newNonce() }));
    expect(((await peer.next()) as { t: string }).t).toBe('challenge');
    await peer.closed;
    expect(served).toEqual([]);
  });
});
