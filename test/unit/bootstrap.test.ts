import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInventory } from '../../src/cli/inventory.js';
import { ConfigError } from '../../src/domain/errors.js';
import { evaluatePreflight, planJoin, planNewCluster, preflightLines, sshLine, type HostFacts, type LocalFacts } from '../../src/plans/bootstrap.js';
import { elfArch, parseListeners } from '../../src/run/preflight.js';
import { runPlan } from '../../src/run/executor.js';
import type { Plan, RunEvent } from '../../src/domain/plan.js';
import type { Inventory } from '../../src/domain/hosts.js';
import { applyRefreshes, emptyView, type Refresh } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../src/domain/types.js';
import { member, status } from '../fakes/fixtures.js';
import { FakeHost } from '../fakes/fake-host.js';
import { FakeGateway } from '../fakes/fake-gateway.js';

const ENV = { path: '/etc/etcd-tui/contexts.yaml', home: '/home/op', exists: () => false };

function inventory(extra: Record<string, unknown> = {}): Inventory {
  const inv = parseInventory(
    {
      ssh: { user: 'root', identityFile: '~/.ssh/id_ed25519', knownHosts: 'known_hosts' },
      etcd: { version: '3.4.23', caDir: '/srv/pki', heartbeatInterval: 100, electionTimeout: 1000, ...extra },
      hosts: [
        { name: 'etcd-1', address: '10.9.0.11' },
        { name: 'etcd-2', address: '10.9.0.12' },
        { name: 'etcd-3', address: '10.9.0.13', port: 2222, sudo: true, dataDir: '/data/etcd', env: { ETCD_LOG_LEVEL: 'debug' } },
        { name: 'etcd-4', address: '10.9.0.14' },
      ],
    },
    'ctx',
    ENV,
  );
  assert.ok(inv);
  return inv;
}

test('inventory: defaults, per-host overrides, local paths resolved', () => {
  const inv = inventory();
  const [h1, , h3] = inv.hosts;
  assert.equal(h1.ssh.port, 22);
  assert.equal(h1.ssh.user, 'root');
  assert.deepEqual(h1.ssh.identityFiles, ['/home/op/.ssh/id_ed25519']);
  assert.equal(h1.ssh.knownHosts, '/etc/etcd-tui/known_hosts');
  assert.equal(h1.dataDir, '/var/lib/etcd');
  assert.equal(h1.certDir, '/etc/etcd/pki');
  assert.equal(h1.binaryPath, '/usr/local/bin/etcd');
  assert.equal(h1.envFile, '/etc/etcd/etcd.env');
  assert.equal(h3.ssh.port, 2222);
  assert.equal(h3.ssh.sudo, true);
  assert.equal(h3.dataDir, '/data/etcd');
  assert.deepEqual(h3.envOverrides, { ETCD_LOG_LEVEL: 'debug' });
  assert.equal(inv.settings.heartbeatIntervalMs, 100);
  assert.equal(inv.settings.version, '3.4.23');
  assert.equal(inv.settings.caDir, '/srv/pki');
});

test('inventory: clear errors for bad input', () => {
  const bad = (raw: Record<string, unknown>, re: RegExp) => assert.throws(() => parseInventory(raw, 'ctx', ENV), (e: Error) => e instanceof ConfigError && re.test(e.message));
  bad({ hosts: [{ name: 'a' }] }, /host "a": address is missing/);
  bad({ hosts: [{ name: 'a', address: 'etcd-a.example' }] }, /IP addresses only.*give etcdAddress/);
  bad({ hosts: [{ name: 'a', address: '10.0.0.1', sudoo: true }] }, /unknown key "sudoo"/);
  bad({ hosts: [{ name: 'a', address: '10.0.0.1' }, { name: 'a', address: '10.0.0.2' }] }, /listed twice/);
  bad({ hosts: [{ name: 'a', address: '10.0.0.1', dataDir: 'var/lib/etcd' }] }, /absolute path on the host/);
  bad({ etcd: { heartbeatInterval: 500, electionTimeout: 1000 }, hosts: [{ name: 'a', address: '10.0.0.1' }] }, /at least 5 x heartbeatInterval/);
  bad({ hosts: [{ name: 'a', address: '10.0.0.1', env: { PATH: '/x' } }] }, /not an ETCD_\* or ETCDCTL_\* variable/);
  bad({ ssh: { user: 'root' } }, /need a hosts list/);
  // A DNS name is fine for SSH when etcdAddress gives the IP.
  const ok = parseInventory({ hosts: [{ name: 'a', address: 'etcd-a.example', etcdAddress: '10.0.0.1' }] }, 'ctx', ENV);
  assert.equal(ok?.hosts[0].etcdAddress, '10.0.0.1');
});

function goodFacts(host: string, extra: Partial<HostFacts> = {}): HostFacts {
  return {
    host,
    ssh: { ok: true, fingerprint: 'SHA256:abc' },
    os: 'Linux',
    arch: 'x86_64',
    dataDir: { exists: false, entries: [] },
    ports: { 2379: '', 2380: '' },
    freeDiskBytes: 50 * 1024 ** 3,
    clockSkewMs: 12,
    binary: { present: false },
    serviceState: 'inactive',
    existingFiles: [],
    ...extra,
  };
}

function goodLocal(names: string[], now = Date.parse('2026-11-22T00:00:00Z')): LocalFacts {
  const hosts: LocalFacts['caDir'] = { path: '/srv/pki', ca: { source: '/srv/pki/ca.pem' }, hosts: {} };
  names.forEach((n, i) => {
    hosts.hosts[n] = { source: `/srv/pki/member-${n}.pem`, sans: [`IP:10.9.0.1${i + 1}`, 'IP:127.0.0.1'], notAfter: '2027-11-22T00:00:00.000Z', signedByCa: true, serverAuth: true, clientAuth: true, keyMatches: true };
  });
  return { now, binarySource: { path: '/srv/etcd-v3.4.23-linux-amd64.tar.gz', kind: 'tarball', ok: true, version: '3.4.23', member: 'etcd-v3.4.23-linux-amd64/etcd' }, caDir: hosts };
}

test('preflight: all good -> uploads planned; each failure says what to fix', () => {
  const inv = inventory();
  const h = [inv.hosts[0]];
  const ok = evaluatePreflight(h, inv.settings, [goodFacts('etcd-1')], goodLocal(['etcd-1']));
  assert.equal(ok.ok, true, preflightLines(ok.checks).join('\n'));
  assert.deepEqual(ok.uploads['etcd-1'].binary, { kind: 'tarball', path: '/srv/etcd-v3.4.23-linux-amd64.tar.gz', member: 'etcd-v3.4.23-linux-amd64/etcd' });
  assert.equal(ok.uploads['etcd-1'].certs?.cert, '/srv/pki/member-etcd-1.pem');

  const failing = (facts: Partial<HostFacts>, local: LocalFacts, check: string, re: RegExp) => {
    const r = evaluatePreflight(h, inv.settings, [goodFacts('etcd-1', facts)], local);
    assert.equal(r.ok, false);
    const c = r.checks.find((x) => !x.ok);
    assert.equal(c?.check, check, preflightLines(r.checks).join('\n'));
    assert.match(`${c?.detail} | ${c?.fix}`, re);
  };
  failing({ dataDir: { exists: true, entries: ['member'] } }, goodLocal(['etcd-1']), 'data dir', /not empty \(member\).*move it aside/);
  failing({ ports: { 2379: '0.0.0.0:2379 by nginx (pid 9)', 2380: '' } }, goodLocal(['etcd-1']), 'port 2379', /taken: 0.0.0.0:2379 by nginx/);
  failing({ clockSkewMs: 4000 }, goodLocal(['etcd-1']), 'clock', /\+4000 ms.*sync the clocks/);
  failing({ freeDiskBytes: 1024 }, goodLocal(['etcd-1']), 'disk', /free at least/);
  failing({ serviceState: 'active' }, goodLocal(['etcd-1']), 'service', /already runs/);
  failing({ ssh: { ok: false, error: 'host key unknown', kind: 'host-key-unknown', unknownKey: { keyType: 'ssh-ed25519', fingerprint: 'SHA256:zzz' } } }, goodLocal(['etcd-1']), 'ssh', /--accept-new-host-key/);
  const sanLocal = goodLocal(['etcd-1']);
  sanLocal.caDir!.hosts['etcd-1']!.sans = ['IP:10.9.0.99', 'IP:127.0.0.1'];
  failing({}, sanLocal, 'certificates', /do not cover 10\.9\.0\.11/);
  const expiring = goodLocal(['etcd-1']);
  expiring.caDir!.hosts['etcd-1']!.notAfter = '2026-12-01T00:00:00.000Z';
  failing({}, expiring, 'certificates', /expires on 2026-12-01.*in 9 days/);
  const noBinary = goodLocal(['etcd-1']);
  delete noBinary.binarySource;
  failing({}, noBinary, 'etcd binary', /absent.*binarySource/);
  failing({ binary: { present: true, version: 'etcd Version: 3.5.16' } }, noBinary, 'etcd binary', /is etcd 3\.5\.16, not 3\.4\.23/);
  // A binary for another machine is refused before anything is uploaded.
  const arm = goodLocal(['etcd-1']);
  arm.binarySource = { ...arm.binarySource!, arch: 'arm64' };
  failing({}, arm, 'etcd binary', /built for arm64, but etcd-1 is x86_64 \(amd64\).*linux-amd64/);
  // The right binary on the host needs no upload.
  const present = evaluatePreflight(h, inv.settings, [goodFacts('etcd-1', { binary: { present: true, version: 'etcd Version: 3.4.23' } })], noBinary);
  assert.equal(present.ok, true);
  assert.equal(present.uploads['etcd-1'].binary, undefined);
});

test('elfArch reads the machine of an executable; not an ELF file is unknown', () => {
  assert.equal(elfArch(process.execPath), process.arch === 'x64' ? 'amd64' : process.arch);
  assert.equal(elfArch('/etc/hostname'), undefined);
  assert.equal(elfArch('/nonexistent'), undefined);
});

test('parseListeners finds who holds a port', () => {
  const out = 'LISTEN 0 4096 10.9.0.11:2379 0.0.0.0:* users:(("etcd",pid=812,fd=7))\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n';
  assert.deepEqual(parseListeners(out, [2379, 2380]), { 2379: '10.9.0.11:2379 by etcd (pid 812)', 2380: '' });
});

test('sshLine quotes once and shows sudo and the port', () => {
  const inv = inventory();
  assert.equal(sshLine(inv.hosts[0], ['mkdir', '-p', '-m', '0700', '--', '/var/lib/etcd']), 'ssh root@10.9.0.11 mkdir -p -m 0700 -- /var/lib/etcd');
  assert.equal(sshLine(inv.hosts[2], ['ls', "it's here"]), "ssh -p 2222 root@10.9.0.13 sudo -n -- ls 'it'\\''s here'");
});

function clusterView(names: string[]) {
  const members = names.map((n) => member(n)).map((m) => ({ ...m, peerURLs: m.peerURLs.map((u) => u.replace('http://', 'https://')) }));
  const batch: Refresh[] = [{ type: 'membership', at: 1, result: { ok: true, clusterId: '7', members } }];
  for (const m of members) batch.push({ type: 'probe', at: 1, memberId: m.id, probe: { ok: true, status: status({ memberId: m.id, leader: members[0].id }), latencyMs: 1, at: 1 } });
  return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 0), batch, DEFAULT_HEALTH_OPTIONS);
}

const FILES = [
  { kind: 'env', remotePath: '/etc/etcd/etcd.env', mode: 0o644, content: 'ETCD_NAME=etcd-4\n', template: 'templates/etcd.env.hbs', overridden: false },
  { kind: 'unit', remotePath: '/etc/systemd/system/etcd.service', mode: 0o644, content: '[Unit]\n', template: 'templates/etcd.service.hbs', overridden: false },
];

test('planJoin: learner first, files, systemctl, wait, promote, verify; undone on failure', () => {
  const inv = inventory();
  const host = inv.hosts[3];
  const view = clusterView(['m1', 'm2', 'm3']);
  const preflight = evaluatePreflight([host], inv.settings, [goodFacts('etcd-4')], goodLocal(['etcd-1', 'etcd-2', 'etcd-3', 'etcd-4']));
  const r = planJoin(view, { host, settings: inv.settings, preflight, files: FILES });
  assert.ok(r.ok, r.ok ? '' : r.refusal);
  const kinds = r.plan.steps.map((s) => (s.action.kind === 'remote-systemctl' ? `systemctl ${s.action.verb}` : s.action.kind));
  assert.deepEqual(kinds, [
    'member-add',
    'remote-mkdir', 'remote-mkdir', 'remote-mkdir', 'remote-mkdir', 'remote-mkdir',
    'remote-upload', 'remote-upload', 'remote-upload', 'remote-upload', 'remote-upload', 'remote-upload',
    'systemctl daemon-reload', 'systemctl enable', 'systemctl start',
    'wait-started', 'wait-caught-up', 'member-promote', 'verify-health',
  ]);
  assert.equal(r.plan.rollbackOnFailure, true);
  assert.equal(r.plan.confirmPhrase, 'etcd-4');
  assert.match(r.plan.steps[0].command, /etcdctl member add etcd-4 --peer-urls=https:\/\/10\.9\.0\.14:2380 --learner/);
  assert.ok(r.plan.steps.some((s) => s.command === 'ssh root@10.9.0.14 systemctl start etcd.service'));
  const key = r.plan.steps.find((s) => s.action.kind === 'remote-upload' && s.action.remotePath.endsWith('-key.pem'));
  assert.equal(key?.action.kind === 'remote-upload' && key.action.mode, 0o600);

  // A failed preflight refuses with every failed check; a host that is already a member too.
  const failed = evaluatePreflight([host], inv.settings, [goodFacts('etcd-4', { dataDir: { exists: true, entries: ['member'] } })], goodLocal(['etcd-4']));
  const refused = planJoin(view, { host, settings: inv.settings, preflight: failed, files: FILES });
  assert.ok(!refused.ok);
  assert.match(refused.refusal, /preflight failed, nothing was changed:\netcd-4: data dir: /);
  const member4 = clusterView(['m1', 'm2', 'm3']);
  member4.members.push({ ...member('m4'), name: 'etcd-4', peerURLs: ['https://10.9.0.14:2380'] });
  const again = planJoin(member4, { host, settings: inv.settings, preflight, files: FILES });
  assert.ok(!again.ok);
  assert.match(again.refusal, /already a member/);
});

test('planNewCluster: files and enable on every host, then start all without blocking, then wait for one cluster', () => {
  const inv = inventory();
  const hosts = inv.hosts.slice(0, 3);
  const preflight = evaluatePreflight(hosts, inv.settings, hosts.map((h) => goodFacts(h.name, { binary: { present: true, version: '3.4.23' }, ports: { 2379: '', 2380: '' } })), goodLocal(hosts.map((h) => h.name)));
  const files = Object.fromEntries(hosts.map((h) => [h.name, FILES]));
  const r = planNewCluster({ hosts, settings: inv.settings, token: 'etcd-tui-x', preflight, files, context: 'prod' });
  assert.ok(r.ok, r.ok ? '' : r.refusal);
  const starts = r.plan.steps.filter((s) => s.action.kind === 'remote-systemctl' && s.action.verb === 'start');
  assert.equal(starts.length, 3);
  assert.ok(starts.every((s) => s.action.kind === 'remote-systemctl' && s.action.noBlock));
  const firstStart = r.plan.steps.indexOf(starts[0]);
  assert.ok(r.plan.steps.slice(firstStart, firstStart + 3).every((s) => starts.includes(s)), 'the starts come together, after every file');
  assert.deepEqual(r.plan.steps.slice(-2).map((s) => s.action.kind), ['wait-cluster-formed', 'verify-health']);
  assert.equal(r.plan.confirmPhrase, 'prod');
  assert.ok(r.plan.preview.some((l) => l.includes('initial cluster: etcd-1=https://10.9.0.11:2380,etcd-2=https://10.9.0.12:2380,etcd-3=https://10.9.0.13:2380')));
  assert.ok(!planNewCluster({ hosts, settings: inv.settings, token: 'a b', preflight, files, context: 'prod' }).ok);
});

test('executor: a failed start is rolled back, newest first; the data dir is moved aside, the old file restored', async () => {
  const inv = inventory();
  const host = inv.hosts[3];
  const fake = new FakeHost(host.ssh);
  fake.files.set('/etc/etcd/etcd.env', { content: Buffer.from('OLD=1\n'), mode: 0o644 });
  fake.dirs.add('/etc/etcd');
  fake.failStart = 'listen tcp 10.9.0.14:2379: bind: address already in use';
  fake.dataDirOnStart = '/var/lib/etcd';
  const plan: Plan = {
    flow: 'bootstrap-join',
    title: 't',
    preview: [],
    warnings: [],
    args: {},
    rollbackOnFailure: true,
    steps: [
      { id: '1', title: 'mkdir', command: '', preconditions: [], action: { kind: 'remote-mkdir', host: host.name, path: '/var/lib/etcd', mode: 0o700, dataDir: true } },
      { id: '2', title: 'env', command: '', preconditions: [], action: { kind: 'remote-upload', host: host.name, source: { kind: 'text', text: 'ETCD_NAME=etcd-4\n' }, remotePath: '/etc/etcd/etcd.env', mode: 0o644, what: 'env file' } },
      { id: '3', title: 'unit', command: '', preconditions: [], action: { kind: 'remote-upload', host: host.name, source: { kind: 'text', text: '[Unit]\n' }, remotePath: '/etc/systemd/system/etcd.service', mode: 0o644, what: 'systemd unit', unit: true } },
      { id: '4', title: 'enable', command: '', preconditions: [], action: { kind: 'remote-systemctl', host: host.name, verb: 'enable', unit: 'etcd', timeoutMs: 1000 } },
      { id: '5', title: 'start', command: '', preconditions: [], action: { kind: 'remote-systemctl', host: host.name, verb: 'start', unit: 'etcd', timeoutMs: 1000 } },
      { id: '6', title: 'never', command: '', preconditions: [], action: { kind: 'verify-health', timeoutMs: 1000 } },
    ],
  };
  const events: RunEvent[] = [];
  const gateway = new FakeGateway();
  const result = await runPlan(plan, {
    gateway,
    observe: async () => clusterView(['m1']),
    onEvent: (e) => events.push(e),
    signal: new AbortController().signal,
    hosts: { spec: () => host, settings: inv.settings, connection: async () => fake },
  });
  assert.equal(result.outcome, 'failed');
  assert.equal(result.failedStep, 4);
  assert.match(result.error ?? '', /systemctl start etcd.service failed: Job for etcd.service failed.*journal: .*address already in use/);
  assert.ok(result.rollback);
  assert.deepEqual(result.rollback.failed, []);
  assert.equal(result.rollback.done.length, 5);
  assert.match(result.rollback.done[0], /stopped etcd.service/);
  assert.match(result.rollback.done[1], /disabled etcd.service/);
  assert.match(result.rollback.done[2], /removed \/etc\/systemd\/system\/etcd.service \(it was not there before\) \(daemon-reload done\)/);
  assert.match(result.rollback.done[3], /restored \/etc\/etcd\/etcd.env from \/etc\/etcd\/etcd.env.etcd-tui-backup-/);
  assert.match(result.rollback.done[4], /moved \/var\/lib\/etcd aside to \/var\/lib\/etcd.etcd-tui-failed-/);
  assert.equal(fake.files.get('/etc/etcd/etcd.env')?.content.toString(), 'OLD=1\n');
  assert.equal(fake.files.has('/etc/systemd/system/etcd.service'), false);
  assert.equal(fake.dirs.has('/var/lib/etcd'), false);
  assert.ok([...fake.files.keys()].some((f) => /^\/var\/lib\/etcd\.etcd-tui-failed-.*\/member\/wal$/.test(f)), 'the data is kept aside, not deleted');
  assert.equal(fake.enabled.size, 0);
  assert.equal(fake.services.get('etcd.service'), 'inactive');
  assert.equal(events.filter((e) => e.type === 'rollback').length, 5);
  assert.ok(!fake.ran.some((a) => a[0] === 'rm' && a.includes('-r')), 'nothing is deleted recursively');
});

test('executor: an abort while waiting for the new member undoes everything, the learner removed last', async () => {
  const inv = inventory();
  const host = inv.hosts[3];
  const fake = new FakeHost(host.ssh);
  const gateway = new FakeGateway();
  const plan: Plan = {
    flow: 'bootstrap-join',
    title: 't',
    preview: [],
    warnings: [],
    args: {},
    rollbackOnFailure: true,
    steps: [
      { id: 'a', title: 'add', command: '', preconditions: [], action: { kind: 'member-add', name: 'etcd-4', peerURLs: ['https://10.9.0.14:2380'], isLearner: true } },
      { id: 'm', title: 'mkdir', command: '', preconditions: [], action: { kind: 'remote-mkdir', host: host.name, path: '/etc/etcd', mode: 0o755 } },
      { id: 's', title: 'start', command: '', preconditions: [], action: { kind: 'remote-systemctl', host: host.name, verb: 'start', unit: 'etcd', timeoutMs: 1000 } },
      { id: 'w', title: 'wait', command: '', preconditions: [], action: { kind: 'wait-started', name: 'etcd-4', peerURLs: ['https://10.9.0.14:2380'], timeoutMs: 60_000 } },
    ],
  };
  const abort = new AbortController();
  const events: RunEvent[] = [];
  const observe = async () => {
    const batch: Refresh[] = [{ type: 'membership', at: 1, result: { ok: true, clusterId: '7', members: gateway.members } }];
    return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 0), batch, DEFAULT_HEALTH_OPTIONS);
  };
  const result = await runPlan(plan, {
    gateway,
    observe,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'progress' && e.index === 3) abort.abort();
    },
    signal: abort.signal,
    pollMs: 5,
    hosts: { spec: () => host, settings: inv.settings, connection: async () => fake },
  });
  assert.equal(result.outcome, 'aborted');
  assert.equal(result.failedStep, 3);
  assert.deepEqual(result.rollback?.failed, []);
  assert.deepEqual(
    result.rollback?.done.map((l) => l.replace(/\(\d+\)|\([0-9a-f]+\)/, '(id)')),
    ['etcd-4: stopped etcd.service', 'etcd-4: removed /etc/etcd (made by this run)', 'removed etcd-4 (id) from the cluster'],
  );
  assert.equal(gateway.members.length, 3, 'the learner is gone');
  assert.ok(gateway.calls.some((c) => c.startsWith('memberRemove')));
});

test('contexts: hosts make endpoints optional; etcd.quota is the console quota; saving keeps both derived', async () => {
  const { parseContextsFile, contextToYaml } = await import('../../src/cli/contexts.js');
  const f = parseContextsFile('contexts:\n  - name: lab\n    etcd: { quota: 256MiB }\n    hosts:\n      - { name: a, address: 10.0.0.1 }\n      - { name: b, address: 10.0.0.2 }\n', '/tmp/c.yaml');
  const c = f.contexts[0];
  assert.deepEqual(c.endpoints, ['https://10.0.0.1:2379', 'https://10.0.0.2:2379']);
  assert.equal(c.quotaBytes, 256 * 1024 * 1024);
  const y = contextToYaml(c);
  assert.equal(y.endpoints, undefined);
  assert.equal(y.quota, undefined);
  assert.deepEqual(y.etcd, { quota: '256MiB' });
});

test('timingChecks: the running members must use the inventory heartbeat and election timeout', async () => {
  const { timingChecks } = await import('../../src/plans/bootstrap.js');
  const inv = inventory(); // heartbeat 100, election 1000
  const [same, differs, defaults, unread] = timingChecks(inv.settings, [
    { host: 'etcd-1', envFile: '/etc/etcd/etcd.env', text: 'ETCD_NAME=etcd-1\nETCD_HEARTBEAT_INTERVAL=100\nETCD_ELECTION_TIMEOUT=1000\n' },
    { host: 'etcd-2', envFile: '/etc/etcd/etcd.env', text: 'ETCD_HEARTBEAT_INTERVAL="250"\nETCD_ELECTION_TIMEOUT=5000\n' },
    { host: 'etcd-3', envFile: '/etc/etcd/etcd.env', text: 'ETCD_NAME=etcd-3\n' },
    { host: 'etcd-4', envFile: '/etc/etcd/etcd.env', error: 'host key unknown' },
  ]);
  assert.equal(same.ok, true);
  assert.equal(differs.ok, false);
  assert.match(`${differs.detail} ${differs.fix}`, /heartbeat 250 ms, election 5000 ms; the inventory says 100 \/ 1000 .*heartbeatInterval: 250/);
  assert.equal(defaults.ok, true, 'etcd defaults (100/1000) when the file does not set them');
  assert.equal(unread.ok, true);
  assert.equal(unread.warn, true);
  assert.match(unread.detail, /not compared: host key unknown/);
});
