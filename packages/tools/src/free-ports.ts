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

/**
 * `count` distinct ports that are free now. They are all held at once while
 * being picked, so the OS cannot hand out the same port twice; another process
 * may still take one before our nodes bind it, which the caller's health
 * deadline then reports.
 */
export async function findFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(0, host));
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
