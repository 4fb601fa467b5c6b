/** `etcd-tui status` as scripts run it: the built binary, its output and its exit codes. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { runCli } from '../harness/cli.js';
import { waitFor } from '../harness/wait.js';

/** The built binary to its end, killed after 30 s (see ../harness/cli.ts). */
const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { env, timeoutMs: 30_000 });

interface StatusDoc {
  clusterId: string;
  leader: { id: string; hexId: string; name: string };
  members: Array<{ id: string; hexId: string; name: string; reachable: boolean; role: string }>;
  verdict: { level: string; summary: string };
  exitCode: number;
}

describe('etcd-tui status', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('healthy: exit 0, text and JSON with exact IDs', async () => {
    const text = await run(['status', '--endpoints', cluster.endpoints[0]]);
    assert.equal(text.code, 0, text.stderr + text.stdout);
    assert.match(text.stdout, /verdict: healthy: 3 voters, 3 healthy, tolerates 1 failure/);
    const json = await run(['status', '--json'], { ETCDCTL_ENDPOINTS: cluster.endpoints.join(',') });
    assert.equal(json.code, 0);
    const doc = JSON.parse(json.stdout) as StatusDoc;
    const ids = await cluster.memberIds();
    assert.deepEqual(doc.members.map((m) => [m.name, m.id]).sort(), [...ids.entries()].sort());
    assert.equal(doc.leader.name, await cluster.leaderName());
    assert.equal(doc.exitCode, 0);
    assert.ok(doc.members.every((m) => typeof m.id === 'string' && m.hexId === BigInt(m.id).toString(16)));
  });

  test('one member down: exit 1 (degraded); two down: exit 2 (quorum lost); nothing reachable: exit 3', async () => {
    const [a, b] = cluster.members.map((m) => m.name);
    await cluster.kill(a);
    const degraded = await waitFor(async () => {
      const r = await run(['status', '--endpoints', cluster.endpoints.join(',')]);
      return r.code === 1 ? r : undefined;
    }, { what: 'status exit 1', timeoutMs: 15_000, intervalMs: 200 });
    assert.match(degraded.stdout, new RegExp(`${a}\\s.*DOWN`));
    await cluster.kill(b);
    const critical = await waitFor(async () => {
      const r = await run(['status', '--endpoints', cluster.endpoints.join(',')]);
      return r.code === 2 ? r : undefined;
    }, { what: 'status exit 2', timeoutMs: 15_000, intervalMs: 200 });
    assert.match(critical.stdout, /QUORUM LOST/);
    const none = await run(['status', '--endpoints', cluster.member(a).clientURL, '--dial-timeout', '500ms']);
    assert.equal(none.code, 3, none.stdout + none.stderr);
    assert.match(none.stdout, /connection refused/);
  });

  test('bad input: exit 4 with one clear line', async () => {
    const bad = await run(['status', '--endpoints', 'htp://x:1']);
    assert.equal(bad.code, 4);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(bad.stderr, /^etcd-tui: --endpoints/);
    const missing = await run(['status', '--endpoints', 'https://127.0.0.1:1', '--cacert', '/nonexistent/ca.pem']);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /--cacert: \/nonexistent\/ca.pem does not exist/);
    const unknown = await run(['frobnicate']);
    assert.equal(unknown.code, 4);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });
});

describe('etcd-tui status with etcd authentication on', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    for (const args of [['user', 'add', 'root:s3cret'], ['user', 'grant-role', 'root', 'root'], ['auth', 'enable']]) {
      const r = await cluster.etcdctl(args);
      assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
    }
  });
  after(async () => {
    await cluster?.stop();
  });

  test('the right password works (flag, user:password, or ETCDCTL_PASSWORD)', async () => {
    for (const [args, env] of [
      [['--user', 'root', '--password', 's3cret'], {}],
      [['--user', 'root:s3cret'], {}],
      [[], { ETCDCTL_USER: 'root', ETCDCTL_PASSWORD: 's3cret' }],
    ] as Array<[string[], Record<string, string>]>) {
      const r = await run(['status', '--endpoints', cluster.endpoints[0], ...args], env);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /verdict: healthy/);
    }
  });

  test('a wrong password is one clear error, exit 3', async () => {
    const r = await run(['status', '--endpoints', cluster.endpoints[0], '--user', 'root', '--password', 'wrong']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /authentication failed: wrong user or password/);
  });

  test('without a terminal and without a password it says how to give one', async () => {
    const r = await run(['status', '--endpoints', cluster.endpoints[0], '--user', 'root']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /user root needs a password: pass --password or set ETCDCTL_PASSWORD/);
  });
});
