import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenSet, bearerToken, registerAuth } from './http-auth.js';
import { registerInFlightLimit, registerKvRequestLimits } from './http-limits.js';

const token = 'token-aaaaaaaaaaaaaaaa';
const next = 'token-bbbbbbbbbbbbbbbb';

describe('TokenSet', () => {
  it('accepts exactly its tokens, and a replacement takes effect', () => {
    const tokens = new TokenSet([token]);
    expect(tokens.accepts(token)).toBe(true);
    expect(tokens.accepts(next)).toBe(false);
    expect(tokens.accepts(`${token}x`)).toBe(false);
    expect(tokens.accepts('')).toBe(false);
    tokens.replace([token, next]);
    expect(tokens.accepts(next)).toBe(true);
    tokens.replace([next]);
    expect(tokens.accepts(token)).toBe(false);
  });

  it('refuses weak or unsendable tokens', () => {
    expect(() => new TokenSet(['short'])).toThrow(/at least 16/);
    expect(() => new TokenSet(['has a space in it!!'])).toThrow(/visible ASCII/);
  });
});

describe('bearerToken', () => {
  it.each<[string | undefined, string | undefined]>([
    [`Bearer ${token}`, token],
    [`bearer ${token}`, token],
    [`Basic ${token}`, undefined],
    [token, undefined],
    [undefined, undefined],
    ['Bearer ', undefined],
  ])('%s → %s', (header, expected) => {
    expect(bearerToken(header)).toBe(expected);
  });
});

function appWithAuth(): FastifyInstance {
  const app = Fastify();
  registerAuth(app, new TokenSet([token, next]));
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ui', async () => 'console');
  app.get('/ui/:file', async () => 'asset');
  app.get('/ui/api/node', async () => ({ secret: 'data' }));
  app.get('/status', async () => ({ ok: true }));
  app.put('/kv/*', async () => 'stored');
  return app;
}

describe('registerAuth', () => {
  it('protects every route but /health and the console static files', async () => {
    const app = appWithAuth();
    const inject = (method: 'GET' | 'PUT' | 'POST', url: string, authorization?: string) =>
      app.inject({ method, url, headers: authorization === undefined ? {} : { authorization } });
    for (const [method, url] of [
      ['GET', '/status'],
      ['PUT', '/kv/a'],
      ['GET', '/ui/api/node'],
      ['GET', '/no/such/route'],
      ['POST', '/health'],
    ] as const) {
      const none = await inject(method, url);
      expect(none.statusCode, `${method} ${url}`).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="ringkv"');
      expect(none.json()).toMatchObject({ error: 'UNAUTHORIZED' });
      expect((await inject(method, url, 'Bearer wrong-token-0123456789')).statusCode).toBe(401);
      expect((await inject(method, url, `Bearer ${next}`)).statusCode).not.toBe(401);
    }
    expect((await inject('GET', '/health')).statusCode).toBe(200);
    expect((await inject('GET', '/ui')).statusCode).toBe(200);
    expect((await inject('GET', '/ui/app.js')).statusCode).toBe(200);
    // A token in the query string is not a credential (it would end up in logs and histories).
    expect((await inject('GET', `/status?token=${token}`)).statusCode).toBe(401);
    await app.close();
  });
});

describe('registerInFlightLimit', () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });

  it('answers 503 OVERLOADED with Retry-After beyond the bound, and counts released requests', async () => {
    const app = Fastify();
    apps.push(app);
    const limit = registerInFlightLimit(app, 1);
    let release: () => void = () => {};
    let arrived: () => void = () => {};
    const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
    app.get('/slow', async () => {
      arrived();
      await new Promise<void>((resolve) => (release = resolve));
      return 'done';
    });
    app.get('/fast', async () => 'fast');
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const slow = fetch(`${base}/slow`);
    await slowArrived;
    expect(limit.inFlight()).toBe(1);
    const refused = await fetch(`${base}/fast`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: 'OVERLOADED' });
    release();
    expect(await (await slow).text()).toBe('done');
    // The slot is free again once the slow response went out ('close' may come a moment after the body).
    let fast = await fetch(`${base}/fast`);
    for (let i = 0; i < 50 && fast.status === 503; i++) {
      await fast.text();
      await new Promise((r) => setTimeout(r, 20));
      fast = await fetch(`${base}/fast`);
    }
    expect(fast.status).toBe(200);
    expect(await fast.text()).toBe('fast');
  });
});

describe('registerKvRequestLimits', () => {
  it('refuses keys and contexts over the operator limits before the handler runs', async () => {
    const app = Fastify();
    let handled = 0;
    registerKvRequestLimits(app, { keyBytesMax: 8, contextBytesMax: 64 });
    app.put('/kv/*', async () => {
      handled++;
      return 'ok';
    });
    app.get('/other/*', async () => 'other');
    expect((await app.inject({ method: 'PUT', url: '/kv/12345678' })).statusCode).toBe(200);
    const longKey = await app.inject({ method: 'PUT', url: `/kv/${encodeURIComponent('é'.repeat(5))}` });
    expect(longKey.statusCode).toBe(400);
    expect(longKey.json()).toMatchObject({ error: 'KEY_INVALID' });
    const longContext = await app.inject({ method: 'PUT', url: '/kv/k', headers: { 'x-context': 'a'.repeat(65) } });
    expect(longContext.json()).toMatchObject({ error: 'CONTEXT_INVALID' });
    expect(handled).toBe(1);
    // Paths outside /kv/ are not its business, however long their path or context: they reach their routes.
    const other = await app.inject({ method: 'GET', url: `/other/${'x'.repeat(40)}`, headers: { 'x-context': 'a'.repeat(65) } });
    expect(other.statusCode).toBe(200);
    expect(other.body).toBe('other');
    await app.close();
  });
});
