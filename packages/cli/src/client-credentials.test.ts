import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io.js';
import { resolveCredentials, setCredentialFlags } from './client-credentials.js';
import { runCli } from './program.js';

const seen: IncomingHttpHeaders[] = [];
let server: Server;
let url = '';

beforeAll(async () => {
  // Answers every key with a value and everything else (e.g. GET /ring) with 404.
  server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    if ((req.url ?? '').startsWith('/kv/')) res.writeHead(200, { 'content-type': 'text/plain', 'x-context': 'C' }).end('v');
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"ROUTE_NOT_FOUND","message":"no"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function run(args: string[], env: Record<string, string> = {}): Promise<number> {
  const io: CliIo = {
    stdout: { write: () => true },
    stderr: { write: () => true },
    readStdin: () => Promise.resolve(Buffer.alloc(0)),
    env,
  };
  return runCli(args, io);
}

describe('client credentials', () => {
  it('sends --token, else $RINGKV_TOKEN, as a bearer token on every request', async () => {
    seen.length = 0;
    expect(await run(['get', 'k', '--node', url, '--token', 'from-flag-0123456789'])).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((h) => h.authorization === 'Bearer from-flag-0123456789')).toBe(true);

    seen.length = 0;
    expect(await run(['--token', 'before-the-command-01', 'get', 'k', '--node', url])).toBe(0);
    expect(seen.every((h) => h.authorization === 'Bearer before-the-command-01')).toBe(true);

    seen.length = 0;
    expect(await run(['get', 'k', '--node', url], { RINGKV_TOKEN: 'from-env-0123456789' })).toBe(0);
    expect(seen.every((h) => h.authorization === 'Bearer from-env-0123456789')).toBe(true);

    seen.length = 0;
    expect(await run(['get', 'k', '--node', url])).toBe(0);
    expect(seen.some((h) => h.authorization !== undefined)).toBe(false);
  });

  it('reads the CA file and names an unreadable one', () => {
    setCredentialFlags({});
    // Any readable file will do: its bytes are handed to TLS as they are.
    expect(resolveCredentials({ RINGKV_CA: fileURLToPath(import.meta.url) }).ca).toBeInstanceOf(Buffer);
    expect(() => resolveCredentials({ RINGKV_CA: '/no/such/ca.pem' })).toThrow(/--ca \/no\/such\/ca\.pem: cannot read it \(ENOENT\)/);
  });
});
