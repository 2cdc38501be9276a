import { readdir } from 'node:fs/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleAssets, consoleAssetNames, consoleAssetType, consoleDir } from './console-assets.js';
import { ThrottledRead } from './console-node-sample.js';
import { registerConsoleAssetRoutes } from './console-routes.js';

describe('console static files', () => {
  it('allow-lists exactly the files of static/console, each with its content type', async () => {
    const onDisk = (await readdir(consoleDir)).sort();
    expect([...consoleAssetNames].sort()).toEqual(onDisk);
    expect(consoleAssetType('index.html')).toBe('text/html; charset=utf-8');
    expect(consoleAssetType('main.js')).toBe('text/javascript; charset=utf-8');
    expect(consoleAssetType('console.css')).toBe('text/css; charset=utf-8');
    expect(consoleAssetType('favicon.svg')).toBe('image/svg+xml');
    for (const name of ['../package.json', 'console-routes.ts', 'main.js/', '', '.', 'MAIN.JS']) expect(consoleAssetType(name)).toBeUndefined();
  });

  describe('routes', () => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = Fastify();
      registerConsoleAssetRoutes(app, new ConsoleAssets());
      await app.ready();
    });
    afterAll(() => app.close());

    it('serves the page at /ui and /ui/ with a content security policy, and its modules', async () => {
      for (const url of ['/ui', '/ui/', '/ui/index.html']) {
        const res = await app.inject({ url });
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(res.headers['content-security-policy']).toContain("script-src 'self'");
        expect(res.body).toContain('<script type="module" src="/ui/main.js">');
      }
      const js = await app.inject({ url: '/ui/ring-geometry.js' });
      expect(js.statusCode).toBe(200);
      expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(js.headers['x-content-type-options']).toBe('nosniff');
      expect(js.body).toContain('export function arcPath');
    });

    it('answers 304 to a request that already holds the current file', async () => {
      const first = await app.inject({ url: '/ui/console.css' });
      expect(first.headers['cache-control']).toBe('no-cache');
      const etag = String(first.headers.etag);
      expect(etag).toMatch(/^".+"$/);
      const again = await app.inject({ url: '/ui/console.css', headers: { 'if-none-match': etag } });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
    });

    it('never serves a file outside the allow-list, however the path is spelt', async () => {
      const attempts = [
        '/ui/..%2Fpackage.json',
        '/ui/%2e%2e%2fpackage.json',
        '/ui/..%2F..%2Fsrc%2Fconsole-routes.ts',
        '/ui/%2Fetc%2Fpasswd',
        '/ui/..%5Cpackage.json',
        '/ui/main.js%00.html',
        '/ui/../package.json',
        '/ui/static/console/main.js',
        '/ui/console-routes.ts',
        '/ui/.env',
      ];
      for (const url of attempts) {
        const res = await app.inject({ url });
        expect(res.statusCode, url).toBe(404);
        expect(res.body, url).not.toContain('"@ringkv/node"');
        expect(res.body, url).not.toContain('root:');
      }
      const named = await app.inject({ url: '/ui/..%2Fpackage.json' });
      expect(named.json()).toMatchObject({ error: 'ROUTE_NOT_FOUND' });
    });
  });
});

describe('ThrottledRead', () => {
  it('reads at most once per period and shares a read under way', async () => {
    let now = 0;
    let reads = 0;
    const t = new ThrottledRead(async () => ++reads, { now: () => now }, 5000);
    const [a, b] = await Promise.all([t.get(), t.get()]);
    expect([a, b, reads]).toEqual([1, 1, 1]);
    now = 4999;
    expect(await t.get()).toBe(1);
    now = 5000;
    expect(await t.get()).toBe(2);
  });

  it('does not keep a failed read', async () => {
    let fail = true;
    const t = new ThrottledRead(async () => {
      if (fail) throw new Error('scan failed');
      return 7;
    }, { now: () => 0 }, 5000);
    await expect(t.get()).rejects.toThrow('scan failed');
    fail = false;
    expect(await t.get()).toBe(7);
  });
});
