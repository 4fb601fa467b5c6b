/**
 * The fake gateway's members as inventory hosts on fake hosts (each with the env file the real
 * templates render), and a HostPort over them that runs the flow module's real `prepare` on a pool
 * of those fake hosts: screen tests of the flows on hosts without SSH.
 */
import { HostPool } from '../../src/hosts/pool.js';
import { hostAccess } from '../../src/run/bootstrap.js';
import { renderNodeFiles } from '../../src/render/node-files.js';
import type { EtcdSettings, HostSpec } from '../../src/domain/hosts.js';
import type { HostPort } from '../../src/run/host-port.js';
import type { FakeGateway } from './fake-gateway.js';
import { FakeHost } from './fake-host.js';
import { hostSpec } from './fixtures.js';

/** m1..m3 of the fake gateway as inventory hosts (127.0.0.1, its ports), each a fake host with its rendered env file. */
export function fakeHostsOf(gateway: FakeGateway, settings: EtcdSettings): { inventory: { hosts: HostSpec[]; settings: EtcdSettings }; hosts: Map<string, FakeHost> } {
  const specs = gateway.members.map((m) => {
    const client = Number(new URL(m.clientURLs[0]).port);
    return hostSpec(m.name, '127.0.0.1', { clientPort: client, peerPort: client + 1 });
  });
  const initialCluster = gateway.members.map((m) => ({ name: m.name, peerURL: m.peerURLs[0] }));
  const hosts = new Map<string, FakeHost>();
  for (const h of specs) {
    const fake = new FakeHost(h.ssh);
    fake.dirs.add('/etc/etcd');
    const env = renderNodeFiles({ host: h, settings, initialCluster, state: 'new', token: 'tok' }).find((f) => f.kind === 'env');
    fake.files.set(h.envFile, { content: Buffer.from(env?.content ?? ''), mode: 0o644 });
    hosts.set(h.name, fake);
  }
  return { inventory: { hosts: specs, settings }, hosts };
}

/** A HostPort over those fake hosts; `requests` records each flow prepared. */
export function fakeHostPort(inventory: { hosts: HostSpec[]; settings: EtcdSettings }, hosts: Map<string, FakeHost>, requests: string[] = []): HostPort {
  const byTarget = new Map(inventory.hosts.map((h) => [h, hosts.get(h.name) as FakeHost]));
  const pool = new HostPool({ connect: async (target) => [...byTarget.entries()].find(([h]) => h.ssh === target)?.[1] ?? (hosts.values().next().value as FakeHost) }, inventory.hosts, { unknownHost: 'refuse' });
  return {
    hosts: () => inventory.hosts.map((h) => h.name),
    prepare: async (request, use, onHost) => {
      requests.push(request.flow);
      return { ...(await use({ inventory, pool, context: 'test', onHost })), unknownKeys: [] };
    },
    trust: async () => undefined,
    access: () => hostAccess(pool, inventory.settings),
  };
}
