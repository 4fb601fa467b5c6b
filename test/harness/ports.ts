// Free loopback TCP ports. All requested ports are held open at the same time
// so that one call returns distinct ports; they are closed before returning,
// so there is a short window in which another process may take one (the
// cluster harness retries a start that fails with "address already in use").
import net from 'node:net';

export const LOOPBACK = '127.0.0.1';

function listenOnFreePort(host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve(server));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** `count` distinct free TCP ports on `host` (default 127.0.0.1). */
export async function freePorts(count: number, host: string = LOOPBACK): Promise<number[]> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`freePorts: count must be a positive integer, got ${count}`);
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnFreePort(host));
    return servers.map((s) => {
      const addr = s.address();
      if (addr === null || typeof addr === 'string') throw new Error('freePorts: server has no TCP address');
      return addr.port;
    });
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** One free TCP port on `host` (default 127.0.0.1). */
export async function freePort(host: string = LOOPBACK): Promise<number> {
  const [port] = await freePorts(1, host);
  return port;
}
