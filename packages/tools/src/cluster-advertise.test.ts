/**
 * `--advertise` / `--advertise-rpc` (issue 7): a node tells its peers the
 * address given there instead of its bind address. n3 binds 127.0.0.1 like the
 * others but advertises the name `localhost`, which every peer must then show
 * in its /status and use to reach it (a W=3 write needs n3's ack over RPC).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry } from './node-process.js';
import { http, kvPath } from './test-support/raw-http.js';
import { printNodeLogsOnFailure, startTempCluster, type TempCluster } from './test-support/temp-cluster.js';
import { waitFor } from './test-support/wait-for.js';

const serverBuilt = existsSync(cliEntry()) && existsSync(fileURLToPath(new URL('../../node/dist/index.js', import.meta.url)));

interface StatusMember {
  readonly id: string;
  readonly http: string;
  readonly rpc: string;
}

describe.skipIf(!serverBuilt)('a node started with --advertise', () => {
  let temp: TempCluster | undefined;
  let advertised = { http: '', rpc: '' };

  beforeAll(async () => {
    temp = await startTempCluster('advertise', {
      nodes: 3,
      n: 3,
      r: 2,
      w: 2,
      extraArgs: ['--log-level', 'warn', '--gossip-interval-ms', '200'],
      perNodeArgs: (node) => {
        if (node.id !== 'n3') return [];
        advertised = { http: `localhost:${node.httpPort}`, rpc: `localhost:${node.rpcPort}` };
        return ['--advertise', advertised.http, '--advertise-rpc', advertised.rpc];
      },
    });
  });

  afterAll(async () => {
    await temp?.dispose();
  });
  printNodeLogsOnFailure(() => temp?.cluster);

  const members = async (url: string): Promise<StatusMember[]> => {
    const res = await http(url, '/status');
    return (JSON.parse(res.body.toString('utf8')) as { members: StatusMember[] }).members;
  };

  it('is listed under the advertised addresses by every other node, and by itself', async () => {
    const urls = temp?.cluster.urls() ?? [];
    expect(advertised.rpc).toMatch(/^localhost:\d+$/);
    for (const url of urls) {
      const n3 = await waitFor(async () => (await members(url)).find((m) => m.id === 'n3' && m.rpc === advertised.rpc), {
        what: `n3 advertised as ${advertised.rpc} in ${url}/status`,
      });
      expect(n3).toMatchObject({ http: advertised.http, rpc: advertised.rpc });
    }
    // The bind address is not what the others were told.
    const n1 = (await members(urls[0] ?? '')).find((m) => m.id === 'n3');
    expect(n1?.rpc).not.toMatch(/^127\.0\.0\.1:/);
  });

  it('is reached by its peers at the advertised RPC address (a W=3 write through n1 needs its ack)', async () => {
    const url = temp?.cluster.urls()[0] ?? '';
    const res = await waitFor(
      async () => {
        const r = await http(url, kvPath('advertised-key', 'w=3'), { method: 'PUT', body: 'v' });
        return r.status === 204 ? r : false;
      },
      { what: 'a W=3 write through n1' },
    );
    expect(res.status).toBe(204);
  });
});
