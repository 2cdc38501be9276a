import { request } from 'undici';

/**
 * Asks every node for a full LevelDB compaction (POST /admin/compact), all at
 * once, and waits for them: the milliseconds the slowest one took. No time
 * limit — a node with gigabytes of tables takes minutes, and answers only
 * when done. Throws, naming the node, when one refuses or fails.
 */
export async function compactNodes(urls: readonly string[]): Promise<number> {
  const started = Date.now();
  await Promise.all(
    urls.map(async (url) => {
      const res = await request(`${url}/admin/compact`, { method: 'POST', headersTimeout: 0, bodyTimeout: 0 });
      const body = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${url}/admin/compact answered ${res.statusCode}: ${body.slice(0, 300)}`);
    }),
  );
  return Date.now() - started;
}
