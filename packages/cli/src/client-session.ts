import { RingkvClient } from '@ringkv/client';
import type { CliIo } from './cli-io.js';
import { resolveCredentials } from './client-credentials.js';
import { resolveNodeUrls } from './node-target.js';

const cliTimeoutMs = 10_000;

/** Runs `fn` with a client for the chosen nodes and always closes its connections. */
export async function withClient<T>(nodeFlag: string | undefined, io: CliIo, fn: (client: RingkvClient) => Promise<T>): Promise<T> {
  const client = new RingkvClient({
    nodes: resolveNodeUrls(nodeFlag, io.env),
    timeoutMs: cliTimeoutMs,
    connectionsPerNode: 1,
    // One request per run: fetching /ring first would double its round trips, and --node means that node.
    routing: 'any',
    ...resolveCredentials(io.env),
  });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
