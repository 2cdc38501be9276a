/**
 * The web console (GET /ui) in a real headless Chromium against a real
 * 3-node cluster: the ring is drawn, the members are up, a key goes through
 * the form and back, errors show, data is rendered as text. Needs Debian's
 * Chromium (`apt-get install -y chromium`); playwright never downloads one.
 */
import { existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry } from './node-process.js';
import { http, kvPath } from './test-support/raw-http.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';

const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));
/** kept after the run for a human to look at */
const screenshotCopy = '/tmp/ringkv-console.png';
/** generous: a 2-core machine shared with other test runs */
const uiTimeoutMs = 20_000;

/**
 * The little of the DOM these tests touch inside the page (waitForFunction
 * bodies run in the browser; functions, not strings, because the console's
 * CSP forbids eval). This package compiles without the DOM library.
 */
interface PageNode {
  readonly textContent: string | null;
}
declare const document: {
  querySelector(selector: string): PageNode | null;
  querySelectorAll(selector: string): ArrayLike<PageNode>;
};

if (!hasChromium) console.log(`console-browser.test.ts: SKIPPED, no Chromium at ${chromiumPath} (install it with: apt-get install -y chromium)`);

describe.skipIf(!hasChromium || !serverBuilt)('web console in headless Chromium (3 nodes, N=3)', () => {
  let temp: TempCluster | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let urls: string[] = [];
  /** uncaught exceptions and console errors of the page: any one fails the run */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    temp = await startTempCluster('console', {
      nodes: 3,
      n: 3,
      r: 2,
      w: 2,
      extraArgs: ['--log-level', 'warn', '--gossip-interval-ms', '200'],
    });
    urls = temp.cluster.urls();
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      // The browser logs every non-2xx fetch; the 404 of a missing key is one the test asks for.
      const expected404 = msg.text().startsWith('Failed to load resource') && msg.location().url.includes('/kv/');
      if (msg.type() === 'error' && !expected404) pageErrors.push(`console.error: ${msg.text()} (${msg.location().url})`);
    });
    page.setDefaultTimeout(uiTimeoutMs);
    await page.goto(`${urls[0]}/ui`);
  });

  afterAll(async () => {
    await browser?.close();
    await temp?.dispose();
  });
  printNodeLogsOnFailure(() => temp?.cluster);

  /** Waits until `selector` matches exactly `n` elements. */
  const countIs = (selector: string, n: number) =>
    page.waitForFunction(([sel, want]) => document.querySelectorAll(sel).length === want, [selector, n] as const);

  it('draws the ring: one arc per partition, coloured by its 3 owners, with a legend', async () => {
    await countIs('#ring path.arc', 256);
    const arcs = await page.$$eval('#ring path.arc', (paths) =>
      paths.map((p) => ({ owner: p.getAttribute('data-owner'), fill: p.getAttribute('fill'), d: p.getAttribute('d') })),
    );
    expect(arcs).toHaveLength(256);
    expect(new Set(arcs.map((a) => a.owner))).toEqual(new Set(['n1', 'n2', 'n3']));
    expect(new Set(arcs.map((a) => a.fill)).size).toBe(3);
    // one colour per owner, the same on every arc it owns
    const colourOf = new Map<string | null, string | null>();
    for (const a of arcs) {
      expect(colourOf.get(a.owner) ?? a.fill).toBe(a.fill);
      colourOf.set(a.owner, a.fill);
      expect(a.d).toMatch(/^M[\d.]+ [\d.]+A/);
    }
    const legend = await page.$$eval('#ring-legend li[data-node]', (items) => items.map((li) => li.getAttribute('data-node')));
    expect(legend).toEqual(['n1', 'n2', 'n3']);
    // The ring agrees with what GET /ring says.
    const ring = (await http(urls[0] ?? '', '/ring')).json() as { partitions: string[][] };
    expect(arcs.map((a) => a.owner)).toEqual(ring.partitions.map((l) => l[0]));
  });

  it('shows the 3 members up and a row of figures per node', async () => {
    await countIs('#members tr[data-state="up"]', 3);
    const members = await page.$$eval('#members tr[data-member]', (rows) => rows.map((r) => [r.getAttribute('data-member'), r.getAttribute('data-state')]));
    expect(members).toEqual([
      ['n1', 'up'],
      ['n2', 'up'],
      ['n3', 'up'],
    ]);
    await countIs('#nodes td[data-figure="keys"]', 3);
    expect(await page.$$eval('#nodes td[data-figure="disk"]', (cells) => cells.map((c) => c.textContent))).toEqual(['ok', 'ok', 'ok']);
    expect(await page.textContent('#self')).toBe('n1');
  });

  it('puts a key through the form and reads it back, as text', async () => {
    const key = 'console/ключ 1';
    // markup in a value must come out as text, never as elements
    const value = 'hello <img src=x id=injected> & "ring"';
    await page.fill('#kv-key', key);
    await page.fill('#kv-value', value);
    await page.click('#kv-put');
    await page.waitForSelector('#kv-result [data-result="put"]');

    // Stored in the cluster, not only in the page: read it from another node.
    const direct = await http(urls[1] ?? '', kvPath(key));
    expect(direct.status).toBe(200);
    expect(direct.text()).toBe(value);

    await page.fill('#kv-value', '');
    await page.click('#kv-get');
    await page.waitForSelector('#kv-result [data-result="get"]');
    expect(await page.textContent('#kv-result pre.value')).toBe(value);
    expect(await page.$('#injected')).toBeNull();
    // the context of the read is kept for the next write
    expect((await page.textContent('#kv-context'))?.startsWith('none')).toBe(false);

    // A PUT with that context supersedes the value: a later GET sees one value, not two siblings.
    await page.fill('#kv-value', 'second');
    await page.click('#kv-put');
    await page.waitForSelector('#kv-result [data-result="put"]');
    await page.click('#kv-get');
    await page.waitForSelector('#kv-result [data-result="get"]');
    expect(await page.$$eval('#kv-result pre.value', (pres) => pres.map((p) => p.textContent))).toEqual(['second']);
  });

  it('deletes the key and shows the node’s error for a missing key', async () => {
    await page.click('#kv-delete');
    await page.waitForSelector('#kv-result [data-result="delete"]');
    await page.click('#kv-get');
    const error = await page.waitForSelector('#kv-result [data-error]');
    expect(await error.getAttribute('data-error')).toBe('NOT_FOUND');
    expect(await error.textContent()).toContain('HTTP 404');
  });

  it('counts the key requests in the charts and lists the hot key', async () => {
    // Charts difference two polls: they show a rate once requests happened between two of them.
    await page.waitForFunction(() => (document.querySelector('#charts [data-figure="ops"]')?.textContent ?? '–') !== '–');
    await countIs('#charts circle.dot.ops', 1);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#hot-keys td.key')).some((td) => td.textContent === 'console/ключ 1'));
  });

  it('lists a key holding 25 siblings under the hot keys', async () => {
    expect(await page.$('#sibling-keys table')).toBeNull();
    // 25 writes without a context, one after another: each stays as a sibling of the others.
    for (let i = 1; i <= 25; i++) expect((await http(urls[0] ?? '', kvPath('console/piled up'), { method: 'PUT', body: `v${i}` })).status).toBe(204);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#sibling-keys td.key')).some((td) => td.textContent === 'console/piled up'));
    expect(await page.textContent('#sibling-keys td.num')).toBe('25');
  });

  it('renders without a page error, and leaves a screenshot', async () => {
    const shot = join(temp?.dir ?? '/tmp', 'console.png');
    await page.screenshot({ path: shot, fullPage: true });
    await copyFile(shot, screenshotCopy);
    console.log(`console screenshot: ${screenshotCopy}`);
    expect(pageErrors).toEqual([]);
  });

  it('marks the partitions in transfer', async () => {
    // A real transfer needs a join and a commit; the drawing only needs GET /ring to list some.
    await page.route('**/ring', async (route) => {
      const res = await route.fetch();
      const ring = (await res.json()) as { transferring: number[] };
      await route.fulfill({ response: res, json: { ...ring, transferring: [0, 5, 200] } });
    });
    try {
      await countIs('#ring path.transfer-mark', 3);
      const marked = await page.$$eval('#ring path.transfer-mark', (paths) => paths.map((p) => Number(p.getAttribute('data-partition'))));
      expect(marked).toEqual([0, 5, 200]);
      expect(await page.textContent('#ring-legend')).toContain('3 partitions in transfer');
    } finally {
      await page.unroute('**/ring');
    }
    await countIs('#ring path.transfer-mark', 0);
  });

  it('asks for a token when the node answers UNAUTHORIZED, and sends it', async () => {
    // Stands in for a node started with --auth-token (LocalCluster's readiness check reads /status without one).
    const token = 'console-test-token-0123456789';
    const seen: (string | undefined)[] = [];
    await page.route('**/ui/api/cluster', async (route) => {
      const auth = route.request().headers().authorization;
      seen.push(auth);
      if (auth === `Bearer ${token}`) return route.continue();
      return route.fulfill({ status: 401, json: { error: 'UNAUTHORIZED', message: 'send Authorization: Bearer <token>' } });
    });
    try {
      await page.waitForSelector('#auth:not([hidden])');
      expect(await page.textContent('#auth-note')).toBe('this node requires a token');
      await page.fill('#auth-token', token);
      await page.click('#auth button[type="submit"]');
      await page.waitForSelector('#auth', { state: 'hidden' });
      expect(seen).toContain(`Bearer ${token}`);
    } finally {
      await page.unroute('**/ui/api/cluster');
      await page.evaluate(() => (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear());
    }
  });

  it('serves no file outside its allow-list on a real node', async () => {
    for (const path of ['/ui/..%2Fpackage.json', '/ui/..%2F..%2F..%2Fpackage.json', '/ui/%2e%2e%2fsrc%2fconsole-routes.ts']) {
      const res = await http(urls[0] ?? '', path);
      expect(res.status, path).toBe(404);
      expect(res.json(), path).toMatchObject({ error: 'ROUTE_NOT_FOUND' });
    }
  });
});
