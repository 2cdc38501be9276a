import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { request } from 'undici';
import { HttpKvDriver } from './bench-http-driver.js';
import type { RunningSystem, StartContext } from './bench-system.js';
import { findFreePorts } from '@ringkv/node';
import { PeerProcess, waitFor } from './peer-process.js';

// Both src/ (tests) and dist/ sit one level below the package: the built server is always at ../dist/.
const serverEntry = fileURLToPath(new URL('../dist/peer-fastify-server.js', import.meta.url));

/** The fastify no-op server in a child process: what one Node.js HTTP server can answer at best. */
export async function startFastifyPeer(ctx: StartContext): Promise<RunningSystem> {
  const [port] = await findFreePorts(1);
  if (port === undefined) throw new Error('no free port');
  const proc = PeerProcess.spawn('fastify', process.execPath, [serverEntry, String(port), String(ctx.valueBytes)], join(ctx.dir, 'fastify.log'));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'fastify no-op server',
      async () => {
        const res = await request(`${url}/kv/ready`);
        await res.body.dump();
        return res.statusCode === 200;
      },
      15_000,
      () => proc.exitReason,
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    name: 'fastify',
    description: 'fastify: a no-op route in one Node.js process, no storage: the HTTP ceiling of this machine',
    stores: false,
    createDriver: (clients) => new HttpKvDriver({ urls: [url], clients, keepContexts: false }),
    processes: () => [{ label: 'fastify', pid: proc.pid }],
    stop: () => proc.stop(),
  };
}
