// A TCP proxy in front of one address, in the test process: every connection to the proxy's port
// is forwarded to the target. hold() stops forwarding what the target sends back (the bytes wait
// in the proxy, nothing is dropped) while what clients send still goes through; release() lets it
// all flow again. Used to keep a member's answers from reaching its peers (e.g. a learner's append
// responses to the leader) while it keeps receiving. close() ends every connection.
import net from 'node:net';
import { freePort } from './ports.js';

export interface TestProxy {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TestProxy> {
  const port = await freePort();
  const upstreams = new Set<net.Socket>();
  const sockets = new Set<net.Socket>();
  let held = false;
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(targetPort, targetHost);
    upstreams.add(upstream);
    sockets.add(client).add(upstream);
    if (held) upstream.pause();
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => {
      if (!held) upstream.resume();
    });
    upstream.on('end', () => client.end());
    const done = () => {
      client.destroy();
      upstream.destroy();
      upstreams.delete(upstream);
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    connections: () => accepted,
    hold() {
      held = true;
      for (const u of upstreams) u.pause();
    },
    release() {
      held = false;
      for (const u of upstreams) u.resume();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
