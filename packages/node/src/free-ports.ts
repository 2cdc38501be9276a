import { createServer, type Server } from 'node:net';

function listen(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Random picks of one port allowed before findFreePorts gives up (each is a bind that failed). */
const pickAttemptsMax = 200;

/**
 * `count` distinct ports that are free now, chosen at random below the
 * ephemeral range (see ephemeralPortFloor): a port the OS handed out with
 * `listen(0)` lies inside it, where any process's next outgoing connection —
 * a test's HTTP client, a node's RPC — may take it before our node binds it
 * (a CI run once failed with EADDRINUSE that way). They are all held at once
 * while being picked, so none is picked twice; another process may still
 * bind one before our nodes do, which the caller's health deadline reports.
 */
export async function findFreePorts(count: number, host = '127.0.0.1', random: () => number = Math.random): Promise<number[]> {
  const servers: Server[] = [];
  const tried = new Set<number>();
  try {
    for (let attempts = 0; servers.length < count; attempts++) {
      if (attempts >= pickAttemptsMax) throw new Error(`no ${count} free ports found on ${host} below ${ephemeralPortFloor} in ${pickAttemptsMax} tries`);
      const port = randomBasePortBelowEphemeral(1, random);
      if (tried.has(port)) continue;
      tried.add(port);
      try {
        servers.push(await listen(port, host));
      } catch {
        // taken: pick another
      }
    }
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('a TCP server has no port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** The ports of `ports` that something already listens on (or that cannot be bound at all). */
export async function takenPorts(ports: readonly number[], host = '127.0.0.1'): Promise<number[]> {
  const taken: number[] = [];
  for (const port of ports) {
    try {
      await close(await listen(port, host));
    } catch {
      taken.push(port);
    }
  }
  return taken;
}

/**
 * Linux hands out ephemeral ports (outgoing connections, `listen(0)`) from
 * 32768 up by default. A fixed port picked above that floor can be taken
 * between the check and the bind by any process's outgoing connection — a
 * test once lost its node's port that way — so ports chosen by number stay below it.
 */
export const ephemeralPortFloor = 32_768;

/** A random base port such that base … base + span − 1 all lie in [10000, ephemeralPortFloor). */
export function randomBasePortBelowEphemeral(span: number, random: () => number = Math.random): number {
  const low = 10_000;
  const choices = ephemeralPortFloor - span - low;
  if (choices <= 0) throw new RangeError(`a span of ${span} ports does not fit below ${ephemeralPortFloor}`);
  return low + Math.floor(random() * choices);
}
