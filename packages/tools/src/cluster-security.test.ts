/**
 * The security baseline (issue 8) against real `ringkv node` processes: a
 * 3-node cluster with a client token and a cluster secret, a TLS cluster, and
 * the refusal to listen openly without either.
 */
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RingkvClient } from '@ringkv/client';
import { Packr, Unpackr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePorts } from '@ringkv/node';
import type { LocalCluster } from './local-cluster.js';
import { cliEntry, nodeArgs, spawnNode } from './node-process.js';
import { http, kvPath } from './test-support/raw-http.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';
import { waitFor } from './test-support/wait-for.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));
const hasOpenssl = await promisify(execFile)('openssl', ['version']).then(
  () => true,
  () => false,
);

const token = `tok-${randomBytes(16).toString('hex')}`;
const clusterSecret = `sec-${randomBytes(16).toString('hex')}`;
const clusterName = 'ringkv';

/** One msgpack frame as the RPC port expects it (4-byte length, payload). */
const packr = new Packr({ useRecords: false });
function frame(message: unknown): Buffer {
  const payload = packr.pack(message);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

/** A raw TCP connection to an RPC port: what it received (decoded frames) and whether it was closed. */
async function rawRpc(address: string) {
  const colon = address.lastIndexOf(':');
  const socket = connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
  let buffered = Buffer.alloc(0);
  const messages: unknown[] = [];
  let wake: () => void = () => {};
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
      const n = buffered.readUInt32BE(0);
      messages.push(unpackr.unpack(buffered.subarray(4, 4 + n)));
      buffered = buffered.subarray(4 + n);
    }
    wake();
  });
  socket.on('error', () => {});
  const whenClosed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      wake();
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    whenClosed,
    /** The next message, or undefined once the connection is closed. */
    async next(): Promise<unknown> {
      while (messages.length === 0 && !closed) await new Promise<void>((resolve) => (wake = resolve));
      return messages.shift();
    },
  };
}

/** Independent of the node's code: HMAC-SHA256 over length-prefixed parts, as the README documents. */
function proof(secret: string, role: 'server' | 'client', t: { clientId: string; serverId: string; clientNonce: Uint8Array; serverNonce: Uint8Array }): Buffer {
  const hmac = createHmac('sha256', Buffer.from(secret));
  for (const part of [Buffer.from(`ringkv-rpc-v1 ${role}`), Buffer.from(clusterName), Buffer.from(t.clientId), Buffer.from(t.serverId), t.clientNonce, t.serverNonce]) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(part.length, 0);
    hmac.update(length);
    hmac.update(part);
  }
  return hmac.digest();
}

describe.skipIf(!serverBuilt)('a cluster with a client token and a cluster secret', () => {
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;
  let urls: string[] = [];
  const url = (i: number): string => urls[i] ?? '';
  const auth = { authorization: `Bearer ${token}` };

  beforeAll(async () => {
    temp = await startTempCluster('security', {
      nodes: 3,
      security: { authToken: token, clusterSecret },
      extraArgs: ['--log-level', 'info', '--gossip-interval-ms', '200', '--siblings-max', '3', '--http-headers-timeout-ms', '1000'],
    });
    cluster = temp.cluster;
    urls = cluster.urls();
  });
  afterAll(async () => {
    await temp?.dispose();
  });
  printNodeLogsOnFailure(() => temp?.cluster);

  /** Every route family, with a harmless request. */
  const routes: readonly { method: 'GET' | 'PUT' | 'DELETE' | 'POST'; path: string; body?: string }[] = [
    { method: 'PUT', path: kvPath('sec-key'), body: 'v' },
    { method: 'GET', path: kvPath('sec-key') },
    { method: 'DELETE', path: kvPath('sec-other') },
    { method: 'GET', path: '/status' },
    { method: 'GET', path: '/metrics' },
    { method: 'GET', path: '/ring' },
    { method: 'POST', path: '/admin/repair?partition=0' },
    { method: 'GET', path: '/admin/cluster/status' },
    { method: 'GET', path: '/admin/cluster/plan' },
    { method: 'POST', path: '/admin/cluster/clear' },
    { method: 'GET', path: '/admin/backup/partition/0' },
    { method: 'POST', path: '/admin/restore', body: '' },
    { method: 'GET', path: '/ui/api/node' },
    { method: 'GET', path: '/ui/api/cluster' },
    { method: 'GET', path: '/counter/c' },
    { method: 'GET', path: '/no-such-route' },
  ];

  it('answers 401 UNAUTHORIZED without a token and with a wrong one, on every route family', async () => {
    for (const route of routes) {
      const what = `${route.method} ${route.path}`;
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-0123456789abcdef' }, { authorization: token }];
      for (const headers of attempts) {
        const res = await http(url(0), route.path, { method: route.method, headers, ...(route.body === undefined ? {} : { body: route.body }) });
        expect(res.status, what).toBe(401);
        expect(res.header('www-authenticate'), what).toBe('Bearer realm="ringkv"');
        expect(res.json(), what).toMatchObject({ error: 'UNAUTHORIZED' });
      }
    }
  });

  it('serves every route family with the right token', async () => {
    for (const route of routes) {
      const res = await http(url(1), route.path, { method: route.method, headers: auth, ...(route.body === undefined ? {} : { body: route.body }) });
      expect(res.status, `${route.method} ${route.path}: ${res.text().slice(0, 200)}`).not.toBe(401);
    }
    const put = await http(url(0), kvPath('with-token'), { method: 'PUT', headers: auth, body: 'hello' });
    expect(put.status).toBe(204);
    const got = await http(url(2), kvPath('with-token'), { headers: { authorization: `bearer ${token}` } });
    expect(got.status).toBe(200);
    expect(got.text()).toBe('hello');
  });

  it('keeps /health and the console page open', async () => {
    const health = await http(url(0), '/health');
    expect(health.status).toBe(200);
    const ui = await http(url(0), '/ui');
    expect(ui.status).not.toBe(401);
  });

  it('works through the client library with the token, and not without', async () => {
    const client = new RingkvClient({ nodes: urls, token, routing: 'any' });
    const without = new RingkvClient({ nodes: urls, routing: 'any' });
    try {
      await client.put('lib-key', 'lib-value');
      const got = await client.get('lib-key');
      expect(got.found && got.siblings[0]?.value.toString()).toBe('lib-value');
      await expect(without.get('lib-key')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    } finally {
      await client.close();
      await without.close();
    }
  });

  it('refuses a raw RPC peer answering the challenge with a wrong HMAC, and never serves it', async () => {
    const rpc = cluster.node(0).rpcAddress;
    const peer = await rawRpc(rpc);
    const clientNonce = randomBytes(32);
    peer.socket.write(frame({ t: 'hello', magic: 'ringkv', version: 1, nodeId: 'intruder', cluster: clusterName, nonce: clientNonce }));
    const challenge = (await peer.next()) as { t: string; nodeId: string; nonce: Uint8Array; proof: Uint8Array };
    expect(challenge.t).toBe('challenge');
    const transcript = { clientId: 'intruder', serverId: challenge.nodeId, clientNonce, serverNonce: challenge.nonce };
    // The node proves the secret to us (mutual authentication)...
    expect(Buffer.from(challenge.proof).equals(proof(clusterSecret, 'server', transcript))).toBe(true);
    // ...and we answer with a proof under a wrong secret, then try a request anyway.
    peer.socket.write(frame({ t: 'auth', proof: proof('not-the-cluster-secret', 'client', transcript) }));
    peer.socket.write(frame({ t: 'req', id: 1, op: 'gossip', body: {} }));
    await peer.whenClosed;
    expect(await peer.next()).toBeUndefined();

    // A peer with no secret at all (no nonce in its hello) is dropped without a challenge.
    const bare = await rawRpc(rpc);
    bare.socket.write(frame({ t: 'hello', magic: 'ringkv', version: 1, nodeId: 'intruder', cluster: clusterName }));
    await bare.whenClosed;
    expect(await bare.next()).toBeUndefined();
  });

  it('accepts a raw RPC peer with the right HMAC (the same exchange can succeed)', async () => {
    const peer = await rawRpc(cluster.node(1).rpcAddress);
    const clientNonce = randomBytes(32);
    peer.socket.write(frame({ t: 'hello', magic: 'ringkv', version: 1, nodeId: 'tester', cluster: clusterName, nonce: clientNonce }));
    const challenge = (await peer.next()) as { nodeId: string; nonce: Uint8Array };
    peer.socket.write(frame({ t: 'auth', proof: proof(clusterSecret, 'client', { clientId: 'tester', serverId: challenge.nodeId, clientNonce, serverNonce: challenge.nonce }) }));
    expect(await peer.next()).toEqual({ t: 'hello-ok', nodeId: 'n2' });
    peer.socket.destroy();
  });

  it('drops garbage and a huge length prefix on the RPC port before authentication', async () => {
    const rpc = cluster.node(2).rpcAddress;
    const garbage = await rawRpc(rpc);
    garbage.socket.write(Buffer.concat([Buffer.from([0, 0, 0, 20]), randomBytes(20)]));
    await garbage.whenClosed;
    const huge = await rawRpc(rpc);
    huge.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
    await huge.whenClosed;
    // Far below the 64 MiB frame bound, but over the bound before authentication.
    const medium = await rawRpc(rpc);
    medium.socket.write(Buffer.from([0, 0, 0x20, 0]));
    await medium.whenClosed;
    expect(await medium.next()).toBeUndefined();
  });

  it('keeps a node started with the wrong secret out of the cluster', async () => {
    const [httpPort = 0, rpcPort = 0] = await findFreePorts(2);
    const dataDir = join(temp?.dir ?? tmpdir(), 'intruder');
    const spec = {
      index: 9,
      id: 'n9',
      host: '127.0.0.1',
      httpPort,
      rpcPort,
      dataDir,
      logFile: join(dataDir, 'n9.log'),
      args: nodeArgs({
        id: 'n9',
        host: '127.0.0.1',
        httpPort,
        rpcPort,
        dataDir,
        seeds: [cluster.node(0).rpcAddress, cluster.node(1).rpcAddress],
        n: 3,
        r: 2,
        w: 2,
        extraArgs: ['--auth-token', token, '--cluster-secret', 'a-wrong-cluster-secret-0000', '--gossip-interval-ms', '200'],
      }),
    };
    const child = spawnNode(spec);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      // It tried to reach the seeds and refused them, since they cannot prove its (wrong) secret...
      await waitFor(async () => (await readFile(spec.logFile, 'utf8').catch(() => '')).includes('failed the cluster-secret proof'), {
        what: 'the intruder to be refused by a seed',
        timeoutMs: 20_000,
      });
      const intruderView = await waitFor(
        async () => {
          const res = await http(`http://127.0.0.1:${httpPort}`, '/status', { headers: auth });
          return res.status === 200 ? (res.json() as { members: { id: string }[] }) : undefined;
        },
        { what: "the intruder's /status" },
      );
      expect(intruderView.members.map((m) => m.id)).toEqual(['n9']);
      // ...and no member has heard of it.
      for (let i = 0; i < 3; i++) {
        const status = (await http(url(i), '/status', { headers: auth })).json() as { members: { id: string }[] };
        expect(status.members.map((m) => m.id).sort()).toEqual(['n1', 'n2', 'n3']);
      }
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('refuses a write that would exceed --siblings-max, keeps every stored sibling, and takes a resolving write', async () => {
    const key = 'crowded';
    for (const v of ['a', 'b', 'c']) {
      expect((await http(url(0), kvPath(key), { method: 'PUT', headers: auth, body: v })).status).toBe(204);
    }
    const refused = await http(url(0), kvPath(key), { method: 'PUT', headers: auth, body: 'd' });
    expect(refused.status).toBe(409);
    expect(refused.json()).toMatchObject({ error: 'SIBLINGS_TOO_MANY', siblings: 3, limit: 3 });
    const read = await http(url(0), kvPath(key, 'r=3'), { headers: auth });
    expect(read.status).toBe(300);
    expect((read.json() as { siblings: unknown[] }).siblings).toHaveLength(3);
    const context = read.header('x-context') ?? '';
    const resolved = await http(url(0), kvPath(key), { method: 'PUT', headers: { ...auth, 'x-context': context }, body: 'merged' });
    expect(resolved.status).toBe(204);
    expect((await http(url(0), kvPath(key), { headers: auth })).text()).toBe('merged');
  });

  it('cuts off a client that never finishes its headers (slowloris), before authentication', async () => {
    const info = cluster.node(1);
    const socket = connect({ host: info.host, port: info.httpPort });
    socket.on('error', () => {});
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    // No timer of ours: the node closes it (headers timeout 1 s, checked every second), or the test times out.
    await closed;
    expect(answer).not.toContain('200 OK');
    expect((await http(info.httpUrl, '/health')).status).toBe(200);
  });

  it('still serves after all that, and never shows a secret in logs, /status or /metrics', async () => {
    const put = await http(url(2), kvPath('after'), { method: 'PUT', headers: auth, body: 'still here' });
    expect(put.status).toBe(204);
    expect((await http(url(0), kvPath('after'), { headers: auth })).text()).toBe('still here');
    const exposed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const info = cluster.node(i);
      exposed.push(await readFile(info.logFile, 'utf8'));
      exposed.push((await http(info.httpUrl, '/status', { headers: auth })).text());
      exposed.push((await http(info.httpUrl, '/metrics', { headers: auth })).text());
      exposed.push(info.args.join(' '));
    }
    const everything = exposed.join('\n');
    // The logs are not empty: the refusals above were logged, by their reason.
    expect(everything).toContain('failed the cluster-secret proof');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(clusterSecret);
  });
});

describe.skipIf(!serverBuilt || !hasOpenssl)('a cluster with TLS on both ports', () => {
  let temp: TempCluster | undefined;
  let cluster: LocalCluster;

  beforeAll(async () => {
    // The cluster only becomes ready if its nodes reach each other over TLS RPC.
    temp = await startTempCluster('tls', { nodes: 3, security: { tls: true }, extraArgs: ['--log-level', 'warn', '--gossip-interval-ms', '200'] });
    cluster = temp.cluster;
  });
  afterAll(async () => {
    await temp?.dispose();
  });
  printNodeLogsOnFailure(() => temp?.cluster);

  it('serves https through the client with the CA', async () => {
    const urls = cluster.urls();
    expect(urls.every((u) => u.startsWith('https://'))).toBe(true);
    const client = new RingkvClient({ nodes: urls, ...cluster.security.client });
    try {
      await client.put('tls-key', 'over tls');
      const got = await client.get('tls-key');
      expect(got.found && got.siblings[0]?.value.toString()).toBe('over tls');
      expect((await client.status(urls[1])).members).toHaveLength(3);
    } finally {
      await client.close();
    }
  });

  it('refuses plain http, and https without the CA', async () => {
    const info = cluster.node(0);
    await expect(http(`http://${info.host}:${info.httpPort}`, '/health', { timeoutMs: 5000 })).rejects.toThrow();
    const untrusting = new RingkvClient({ nodes: [info.httpUrl], routing: 'any' });
    try {
      await expect(untrusting.get('tls-key')).rejects.toThrow();
    } finally {
      await untrusting.close();
    }
  });

  it('refuses a plain TCP peer on the RPC port', async () => {
    const peer = await rawRpc(cluster.node(1).rpcAddress);
    peer.socket.write(frame({ t: 'hello', magic: 'ringkv', version: 1, nodeId: 'plain', cluster: clusterName }));
    await peer.whenClosed;
    expect(await peer.next()).toBeUndefined();
  });
});

describe.skipIf(!serverBuilt)('safe defaults', () => {
  it('refuses to listen on 0.0.0.0 without a token or secret, with a clear message and exit code 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ringkv-bind-'));
    try {
      const [httpPort = 0, rpcPort = 0] = await findFreePorts(2);
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [cliEntry(), 'node', '--id', 'n1', '--http', `0.0.0.0:${httpPort}`, '--rpc', `127.0.0.1:${rpcPort}`, '--data', join(dir, 'n1')],
          { timeout: 30_000 },
          (error, _stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stderr }),
        );
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--http 0\.0\.0\.0 is not a loopback address and no --auth-token/);
      expect(existsSync(join(dir, 'n1'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
