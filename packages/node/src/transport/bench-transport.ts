/**
 * Request/response throughput of the TCP transport over loopback: one client
 * transport, one server transport, one connection, an echo handler and
 * 100-byte bodies, with `inFlight` requests kept outstanding.
 *
 * Run after a build: `node packages/node/dist/transport/bench-transport.js [seconds] [inFlight]`.
 */
import { pathToFileURL } from 'node:url';
import { TcpTransport } from './tcp-transport.js';

export interface BenchTransportOptions {
  readonly seconds: number;
  readonly inFlight: number;
}

export interface BenchTransportResult {
  readonly rps: number;
}

const bodyBytes = 100;
const requestTimeoutMs = 10_000;

export async function benchTransport({ seconds, inFlight }: BenchTransportOptions): Promise<BenchTransportResult> {
  const server = new TcpTransport({ nodeId: 'bench-server', cluster: 'bench', listenHost: '127.0.0.1', listenPort: 0 });
  const client = new TcpTransport({ nodeId: 'bench-client', cluster: 'bench', listenHost: '127.0.0.1', listenPort: 0 });
  try {
    await server.listen(async (_from, _op, body) => ({ ok: true, body }));
    const to = server.address();
    const body = new Uint8Array(bodyBytes).fill(7);
    // Warm-up: connect and let the JIT settle before timing.
    await client.request(to, 'echo', body, requestTimeoutMs);
    const warmUpEndMs = performance.now() + 300;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (performance.now() < warmUpEndMs) await client.request(to, 'echo', body, requestTimeoutMs);
      }),
    );

    let completed = 0;
    const startMs = performance.now();
    const endMs = startMs + seconds * 1000;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (performance.now() < endMs) {
          const result = await client.request(to, 'echo', body, requestTimeoutMs);
          if (!result.ok) throw new Error(`bench request failed: ${result.code} ${result.message}`);
          completed++;
        }
      }),
    );
    const elapsedMs = performance.now() - startMs;
    return { rps: Math.round((completed * 1000) / elapsedMs) };
  } finally {
    await client.close();
    await server.close();
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const seconds = Number(process.argv[2] ?? 5);
  const inFlight = Number(process.argv[3] ?? 64);
  const { rps } = await benchTransport({ seconds, inFlight });
  console.log(JSON.stringify({ seconds, inFlight, bodyBytes, rps }));
}
