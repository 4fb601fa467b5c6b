/**
 * The console's :config and :rotate-certs flows on fakes (a fake cluster and fake hosts whose env
 * files are rendered from the real templates): an unknown key is refused in the dialog; :config
 * quota-backend-bytes=1GB reads every env file, shows the diff per host, and runs member by member
 * (new file, restart, back, verify), the leader last; the files on the hosts are the new ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostPool } from '../../src/hosts/pool.js';
import { hostAccess } from '../../src/run/bootstrap.js';
import { renderNodeFiles } from '../../src/render/node-files.js';
import { DEFAULT_ETCD_SETTINGS, type EtcdSettings, type HostSpec } from '../../src/domain/hosts.js';
import type { HostPort } from '../../src/run/host-port.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { fakeConsole, flat } from '../fakes/console.js';
import { FakeHost } from '../fakes/fake-host.js';
import { hostSpec } from '../fakes/fixtures.js';

const settings: EtcdSettings = { ...DEFAULT_ETCD_SETTINGS, tls: false, quotaBackendBytes: 268435456 };

/** m1..m3 of the fake gateway as inventory hosts (127.0.0.1, its ports), each a fake host with its rendered env file. */
function fakeHosts(gateway: FakeGateway): { inventory: { hosts: HostSpec[]; settings: EtcdSettings }; hosts: Map<string, FakeHost> } {
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

function hostPort(inventory: { hosts: HostSpec[]; settings: EtcdSettings }, hosts: Map<string, FakeHost>): HostPort {
  // One fake host per inventory host, told apart by the port its spec's client URL uses (same address).
  const byTarget = new Map(inventory.hosts.map((h) => [h, hosts.get(h.name) as FakeHost]));
  const pool = new HostPool({ connect: async (target) => [...byTarget.entries()].find(([h]) => h.ssh === target)?.[1] ?? (hosts.values().next().value as FakeHost) }, inventory.hosts, { unknownHost: 'refuse' });
  return {
    hosts: () => inventory.hosts.map((h) => h.name),
    prepare: async (_request, use, onHost) => ({ ...(await use({ inventory, pool, context: 'test', onHost })), unknownKeys: [] }),
    trust: async () => undefined,
    access: () => hostAccess(pool, settings),
  };
}

async function setup() {
  const gateway = new FakeGateway();
  for (const m of gateway.members) gateway.metricsText.set(`${m.clientURLs[0]}/metrics`, 'etcd_server_quota_backend_bytes 1e+09\n');
  const fake = fakeHosts(gateway);
  const t = await fakeConsole({ gateway, dirPrefix: 'etcd-tui-rolling-change-', frameTimeoutMs: 10_000, deps: () => ({ hosts: hostPort(fake.inventory, fake.hosts) }) });
  return { ...t, hosts: fake.hosts };
}

test(':config: an unknown key is refused with the known ones; quota-backend-bytes=1GB shows the diff per host and runs member by member, the leader last', async () => {
  const t = await setup();
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press(':');
  await t.press('config quota=1GB\r');
  let f = await t.frame('refusal', (x) => x.includes('REFUSED'));
  assert.match(flat(f), /unknown setting "quota"; known: quota-backend-bytes/);
  await t.press('\x1b');
  await t.frame('closed', (x) => !x.includes('REFUSED'));
  await t.press(':');
  await t.press('config quota-backend-bytes=1GB\r');
  f = await t.frame('preview', (x) => x.includes('[preview]') && x.includes('STEPS'));
  const text = flat(f);
  for (const n of ['m1', 'm2', 'm3']) assert.match(text, new RegExp(`${n}: ETCD_QUOTA_BACKEND_BYTES=268435456 -> ETCD_QUOTA_BACKEND_BYTES=1000000000`));
  assert.match(text, /order: m2, m3, m1/);
  await t.press('\r');
  await t.frame('confirm', (x) => x.includes("Type the context's name (test)"));
  await t.press('test');
  await t.press('\r');
  f = await t.frame('done', (x) => x.includes('SUCCEEDED') || x.includes('FAILED'));
  assert.match(flat(f), /SUCCEEDED/, flat(f));
  for (const [name, h] of t.hosts) {
    assert.match(h.files.get('/etc/etcd/etcd.env')?.content.toString() ?? '', /^ETCD_QUOTA_BACKEND_BYTES=1000000000$/m, name);
    assert.deepEqual(h.restarts, ['etcd.service'], `${name} restarted once`);
  }
  assert.ok(t.gateway.calls.some((c) => c.startsWith('moveLeader')), 'leadership moved before the leader');
  t.done();
});
