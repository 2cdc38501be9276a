import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { RpcHandler } from '@ringkv/core';
import { TransportError } from '@ringkv/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder, FrameEncoder } from './frame-codec.js';
import { TcpTransport, type TcpTransportOptions } from './tcp-transport.js';
import { transportComplianceSuite, type TransportPair } from './transport-compliance.js';
import type { TransportLogger } from './transport-logger.js';

const cluster = 'test-cluster';
const requestTimeoutMs = 2000;

function newTransport(nodeId: string, overrides: Partial<TcpTransportOptions> = {}): TcpTransport {
  return new TcpTransport({ nodeId, cluster, listenHost: '127.0.0.1', listenPort: 0, ...overrides });
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

transportComplianceSuite('TcpTransport', async (): Promise<TransportPair> => {
  const transports: TcpTransport[] = [];
  const make = (nodeId: string, listenPort = 0): TcpTransport => {
    const transport = newTransport(nodeId, { listenPort });
    transports.push(transport);
    return transport;
  };
  const a = make('node-a');
  let b = make('node-b');
  return {
    a,
    b,
    aNodeId: 'node-a',
    restartB: async () => {
      b = make('node-b', portOf(b.address()));
      return b;
    },
    cleanup: async () => {
      await Promise.all(transports.map((transport) => transport.close()));
    },
  };
});

const echo: RpcHandler = async (from, _op, body) => ({ ok: true, body: { from: from.nodeId, body } });

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function transportErrorOf(promise: Promise<unknown>): Promise<TransportError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TransportError) return error;
    throw error;
  }
  throw new Error('expected a TransportError');
}

function recordingLogger(): TransportLogger & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (obj, msg) => warnings.push(`${msg} ${JSON.stringify(obj)}`) };
}

const helloFrame = (clusterName = cluster): Buffer =>
  new FrameEncoder().encode({ t: 'hello', magic: 'ringkv', version: 1, nodeId: 'raw', cluster: clusterName });

describe('TcpTransport over real sockets', () => {
  const cleanups: (() => unknown)[] = [];

  afterEach(async () => {
    const pending = cleanups.splice(0).reverse();
    await Promise.allSettled(pending.map(async (cleanup) => cleanup()));
  });

  function track(transport: TcpTransport): TcpTransport {
    cleanups.push(() => transport.close());
    return transport;
  }

  async function listening(nodeId: string, handler: RpcHandler, overrides: Partial<TcpTransportOptions> = {}) {
    const transport = track(newTransport(nodeId, overrides));
    await transport.listen(handler);
    return transport;
  }

  /** A raw client socket, with what it received and a promise of its close. */
  async function rawSocket(address: string) {
    const socket = connect({ host: '127.0.0.1', port: portOf(address) });
    cleanups.push(() => socket.destroy());
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return { socket, received, closed };
  }

  /** Resolves true if `closed` settles within `ms`. */
  async function closesWithin(closed: Promise<void>, ms: number): Promise<boolean> {
    return Promise.race([closed.then(() => true), sleep(ms).then(() => false)]);
  }

  async function rawServer(onSocket: (socket: Socket) => void): Promise<{ server: Server; address: string }> {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
      onSocket(socket);
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new Error('no port');
    return { server, address: `127.0.0.1:${bound.port}` };
  }

  async function wellBehavedClientWorks(server: TcpTransport): Promise<void> {
    const client = track(newTransport('good-client'));
    const result = await client.request(server.address(), 'echo', 'still here', requestTimeoutMs);
    expect(result).toEqual({ ok: true, body: { from: 'good-client', body: 'still here' } });
  }

  it('drops a connection sending random bytes and keeps serving others', async () => {
    const logger = recordingLogger();
    const server = await listening('server', echo, { logger });
    // Start a good connection first so it is open while the garbage arrives.
    const good = track(newTransport('good'));
    expect((await good.request(server.address(), 'echo', 1, requestTimeoutMs)).ok).toBe(true);
    for (let i = 0; i < 5; i++) {
      const raw = await rawSocket(server.address());
      // A leading 0x00 keeps the declared length small, so the bytes must be
      // rejected as undecodable rather than merely awaited.
      raw.socket.write(Buffer.concat([Buffer.from([0, 0, 0, 16]), Buffer.from([0xc1]), randomBytes(15)]));
      expect(await closesWithin(raw.closed, 2000)).toBe(true);
    }
    expect((await good.request(server.address(), 'echo', 2, requestTimeoutMs)).ok).toBe(true);
    await wellBehavedClientWorks(server);
    expect(logger.warnings.length).toBeGreaterThanOrEqual(5);
  });

  it('drops a connection declaring a huge frame, before or after the hello', async () => {
    const server = await listening('server', echo);
    const huge = Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]);

    const before = await rawSocket(server.address());
    before.socket.write(huge);
    expect(await closesWithin(before.closed, 2000)).toBe(true);

    const after = await rawSocket(server.address());
    after.socket.write(helloFrame());
    // Wait for the hello-ok so the huge frame is judged on an established connection.
    const helloOkDeadlineMs = Date.now() + 2000;
    while (after.received.length === 0 && Date.now() < helloOkDeadlineMs) await sleep(5);
    const decoded = [...new FrameDecoder().feed(Buffer.concat(after.received))];
    expect(decoded).toEqual([{ t: 'hello-ok', nodeId: 'server' }]);
    after.socket.write(huge);
    expect(await closesWithin(after.closed, 2000)).toBe(true);

    await wellBehavedClientWorks(server);
  });

  it('drops a connection that sends a well-formed frame that is not a valid message', async () => {
    const server = await listening('server', echo);
    const raw = await rawSocket(server.address());
    raw.socket.write(Buffer.concat([helloFrame(), new FrameEncoder().encode({ t: 'req', id: -5, op: 'echo' })]));
    expect(await closesWithin(raw.closed, 2000)).toBe(true);
    await wellBehavedClientWorks(server);
  });

  it('refuses a peer from another cluster', async () => {
    const server = await listening('server', echo);
    const raw = await rawSocket(server.address());
    raw.socket.write(helloFrame('other-cluster'));
    expect(await closesWithin(raw.closed, 2000)).toBe(true);
    expect(Buffer.concat(raw.received).length).toBe(0);

    const stranger = track(newTransport('stranger', { cluster: 'other-cluster' }));
    expect((await transportErrorOf(stranger.request(server.address(), 'echo', 1, requestTimeoutMs))).code).toBe(
      'UNREACHABLE',
    );
  });

  it('drops a connection that sends no hello within the handshake timeout', async () => {
    const server = await listening('server', echo, { handshakeTimeoutMs: 100 });
    const raw = await rawSocket(server.address());
    const startMs = Date.now();
    expect(await closesWithin(raw.closed, 2000)).toBe(true);
    expect(Date.now() - startMs).toBeGreaterThanOrEqual(80);
  });

  it('answers OVERLOADED beyond the in-flight bound of a connection', async () => {
    const release: (() => void)[] = [];
    const server = await listening(
      'server',
      (_from, op) =>
        op === 'hold'
          ? new Promise((resolve) => release.push(() => resolve({ ok: true, body: 'held' })))
          : Promise.resolve({ ok: true, body: 'quick' }),
      { inFlightRequestCountMax: 2 },
    );
    const client = track(newTransport('client'));
    const held = [1, 2].map(() => client.request(server.address(), 'hold', null, requestTimeoutMs));
    const third = await client.request(server.address(), 'quick', null, requestTimeoutMs);
    expect(third.ok ? 'ok' : third.code).toBe('OVERLOADED');
    for (const resolve of release) resolve();
    expect(await Promise.all(held)).toEqual([
      { ok: true, body: 'held' },
      { ok: true, body: 'held' },
    ]);
    expect(await client.request(server.address(), 'quick', null, requestTimeoutMs)).toEqual({ ok: true, body: 'quick' });
  });

  it('uses one connection per peer for many requests', async () => {
    const server = await listening('server', echo);
    const client = track(newTransport('client'));
    await Promise.all(Array.from({ length: 50 }, (_, i) => client.request(server.address(), 'echo', i, requestTimeoutMs)));
    for (let i = 0; i < 10; i++) await client.request(server.address(), 'echo', i, requestTimeoutMs);
    expect(server.stats().serverConnectionCount).toBe(1);
    expect(client.stats().clientConnectionCount).toBe(1);
  });

  it('fails fast after a failed connection attempt, then tries again', async () => {
    let attempts = 0;
    const { address } = await rawServer((socket) => {
      attempts++;
      socket.destroy();
    });
    const client = track(newTransport('client'));
    expect((await transportErrorOf(client.request(address, 'echo', 1, requestTimeoutMs))).code).toBe('UNREACHABLE');
    expect(attempts).toBe(1);
    for (let i = 0; i < 5; i++) {
      expect((await transportErrorOf(client.request(address, 'echo', 1, requestTimeoutMs))).code).toBe('UNREACHABLE');
    }
    expect(attempts).toBe(1);
    await sleep(150);
    expect((await transportErrorOf(client.request(address, 'echo', 1, requestTimeoutMs))).code).toBe('UNREACHABLE');
    expect(attempts).toBe(2);
  });

  it('gives up connecting to a peer that never answers the hello after connectTimeoutMs', async () => {
    const { address } = await rawServer(() => {});
    const client = track(newTransport('client', { connectTimeoutMs: 150 }));
    const startMs = Date.now();
    expect((await transportErrorOf(client.request(address, 'echo', 1, requestTimeoutMs))).code).toBe('UNREACHABLE');
    const elapsedMs = Date.now() - startMs;
    expect(elapsedMs).toBeGreaterThanOrEqual(130);
    expect(elapsedMs).toBeLessThan(1500);
  });

  it('closes its connection when the peer answers with an invalid frame', async () => {
    const logger = recordingLogger();
    const { address } = await rawServer((socket) => {
      const decoder = new FrameDecoder();
      const encoder = new FrameEncoder();
      socket.on('data', (chunk: Buffer) => {
        for (const message of decoder.feed(chunk)) {
          const type = (message as { t: string }).t;
          socket.write(type === 'hello' ? encoder.encode({ t: 'hello-ok', nodeId: 'liar' }) : encoder.encode({ t: 'res' }));
        }
      });
    });
    const client = track(newTransport('client', { logger }));
    expect((await transportErrorOf(client.request(address, 'echo', 1, requestTimeoutMs))).code).toBe('CLOSED');
    expect(logger.warnings.length).toBe(1);
  });

  it('rejects in-flight requests with CLOSED when the peer shuts down', async () => {
    const server = await listening('server', () => new Promise(() => {}));
    const client = track(newTransport('client'));
    const inFlight = client.request(server.address(), 'hang', null, requestTimeoutMs);
    await sleep(50);
    await server.close();
    expect((await transportErrorOf(inFlight)).code).toBe('CLOSED');
  });

  it('carries large bodies, and reports frames over frameBytesMax', async () => {
    const server = await listening('server', async (_from, op, body) =>
      op === 'big-answer' ? { ok: true, body: new Uint8Array(64 * 1024) } : { ok: true, body },
    { frameBytesMax: 8 * 1024 * 1024 });
    const client = track(newTransport('client', { frameBytesMax: 8 * 1024 * 1024 }));
    const big = randomBytes(4 * 1024 * 1024);
    const result = await client.request(server.address(), 'echo', big, requestTimeoutMs);
    expect(result.ok && Buffer.from(result.body as Uint8Array).equals(big)).toBe(true);

    const tooBig = new Uint8Array(9 * 1024 * 1024);
    expect((await transportErrorOf(client.request(server.address(), 'echo', tooBig, requestTimeoutMs))).code).toBe(
      'FRAME_TOO_LARGE',
    );

    const small = await listening('small-server', async () => ({ ok: true, body: new Uint8Array(4096) }), {
      frameBytesMax: 1024,
    });
    const answer = await client.request(small.address(), 'big-answer', null, requestTimeoutMs);
    expect(answer.ok ? 'ok' : answer.code).toBe('FRAME_TOO_LARGE');
  });

  it('rejects listening on a port already in use', async () => {
    const first = await listening('first', echo);
    const second = track(newTransport('second', { listenPort: portOf(first.address()) }));
    await expect(second.listen(echo)).rejects.toThrow(/EADDRINUSE/);
  });

  it('rejects an invalid address as UNREACHABLE and bad arguments as RangeError', async () => {
    const client = track(newTransport('client'));
    expect((await transportErrorOf(client.request('no-port', 'echo', 1, requestTimeoutMs))).code).toBe('UNREACHABLE');
    await expect(client.request('127.0.0.1:1', '', 1, requestTimeoutMs)).rejects.toThrow(RangeError);
    await expect(client.request('127.0.0.1:1', 'echo', 1, 0)).rejects.toThrow(RangeError);
    expect(() => newTransport('')).toThrow(RangeError);
  });
  it('connects to peers from localAddress, so a connection from a node on 127.0.0.11 arrives from 127.0.0.11', async () => {
    const remotes: string[] = [];
    const { address } = await rawServer((socket) => remotes.push(socket.remoteAddress ?? '?'));
    const client = await listening('client', echo, { listenHost: '127.0.0.11', localAddress: '127.0.0.11' });
    expect(client.address()).toMatch(/^127\.0\.0\.11:/);
    // The raw server never answers the Hello: the call fails, but only after the connection was accepted.
    await transportErrorOf(client.request(address, 'echo', 1, 300));
    expect(remotes).toEqual(['127.0.0.11']);
  });

  it('connects from an address chosen by the OS without localAddress', async () => {
    const remotes: string[] = [];
    const { address } = await rawServer((socket) => remotes.push(socket.remoteAddress ?? '?'));
    const client = await listening('client', echo, { listenHost: '127.0.0.11' });
    await transportErrorOf(client.request(address, 'echo', 1, 300));
    expect(remotes).toEqual(['127.0.0.1']);
  });
});
