/**
 * Keyspace triage on a real cluster filled under Kubernetes-like prefixes: `etcd-tui keyspace` and
 * a paginated scan (7 keys a page) give the same prefixes, key counts and bytes as a count made from
 * `etcdctl get --from-key -w json`, and read from a follower.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { runCli, showCli } from '../harness/cli.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import { scanKeyspace } from '../../src/monitor/keyspace.js';
import type { KeyspaceReport } from '../../src/plans/keyspace.js';

/** What the test writes: prefix -> [keys, value size]. */
const FILL: Array<[string, string, number, number]> = [
  ['/registry/pods/default', '/registry/pods/default/web-', 40, 200],
  ['/registry/pods/kube-system', '/registry/pods/kube-system/dns-', 10, 100],
  ['/registry/configmaps/prod', '/registry/configmaps/prod/cm-', 5, 3000],
  ['/registry/namespaces', '/registry/namespaces/ns-', 8, 20],
  ['/registry/apiextensions.k8s.io/customresourcedefinitions', '/registry/apiextensions.k8s.io/customresourcedefinitions/w', 3, 500],
  ['/registry/example.com/widgets/default', '/registry/example.com/widgets/default/w-', 4, 50],
  ['/app/config', '/app/config/k', 6, 10],
];

describe('etcd-tui keyspace', () => {
  let cluster: TestCluster;
  /** prefix -> [keys, bytes] counted from etcdctl's answer. */
  const expected = new Map<string, [number, number]>();
  before(async () => {
    cluster = await startCluster({ members: 3 });
    const lines: string[] = [];
    for (const [, stem, n, size] of FILL) for (let i = 0; i < n; i++) lines.push(`put ${stem}${i} ${'v'.repeat(size - String(i).length)}${i}`);
    // One etcdctl process for all writes (txn would be one revision; put lines keep them apart).
    for (const line of lines) {
      const [, key, value] = line.split(' ');
      const r = await cluster.etcdctl(['put', key, value]);
      assert.equal(r.code, 0, r.stderr);
    }
    const all = await cluster.etcdctl(['get', '', '--from-key', '-w', 'json']);
    const doc = JSON.parse(all.stdout) as { kvs: Array<{ key: string; value: string }> };
    for (const kv of doc.kvs) {
      const key = Buffer.from(kv.key, 'base64');
      const value = Buffer.from(kv.value, 'base64');
      const prefix = FILL.map(([p]) => p).find((p) => key.toString().startsWith(`${p}/`));
      assert.ok(prefix, `key ${key} belongs to a filled prefix`);
      const [keys, bytes] = expected.get(prefix) ?? [0, 0];
      expected.set(prefix, [keys + 1, bytes + key.length + value.length]);
    }
    assert.equal([...expected.values()].reduce((s, [k]) => s + k, 0), 76);
  });
  after(async () => {
    await cluster?.stop();
  });

  const tallies = (r: KeyspaceReport) => new Map(r.prefixes.map((p) => [p.prefix, [p.keys, p.bytes] as [number, number]]));

  test('the CLI: prefixes, counts and bytes match etcdctl; read from a follower; top lists ordered', async () => {
    const r = await runCli(['keyspace', '--json', '--endpoints', cluster.endpoints.join(',')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, showCli(r));
    const report = JSON.parse(r.stdout) as KeyspaceReport & { top: { byKeys: Array<{ prefix: string }>; byBytes: Array<{ prefix: string }> } };
    assert.deepEqual(tallies(report), expected);
    assert.equal(report.complete, true);
    assert.equal(report.totalKeys, 76);
    assert.notEqual(report.member, await cluster.leaderName());
    assert.deepEqual(report.top.byKeys.slice(0, 2).map((p) => p.prefix), ['/registry/pods/default', '/registry/pods/kube-system']);
    assert.equal(report.top.byBytes[0].prefix, '/registry/configmaps/prod');
    const text = await runCli(['keyspace', '--prefix', '/registry/pods/', '--endpoints', cluster.endpoints[0]], { timeoutMs: 60_000 });
    assert.equal(text.code, 0, showCli(text));
    assert.match(text.stdout, /50 of 50 keys/);
    assert.match(text.stdout, new RegExp(`/registry/pods/default\\s+40\\s+${expected.get('/registry/pods/default')![1]}`));
    assert.doesNotMatch(text.stdout, /configmaps/);
  });

  test('paginated (7 keys a page) at one revision: the same tallies; a page bound stops early and says so', async () => {
    const gateway = new EtcdGateway({ contextName: 't', endpoints: cluster.endpoints, tls: {}, dialTimeoutMs: 2000, commandTimeoutMs: 5000, refreshMs: 1000, readOnly: false }, { statusMs: 2000, commandMs: 5000, longMs: 60_000 });
    try {
      const pages: number[] = [];
      const full = await scanKeyspace(gateway, { depth: 2, kubernetes: true, prefix: '' }, { pageSize: 7, maxPages: 100, timeMs: 60_000, pageTimeoutMs: 5000 }, (p) => pages.push(p.scanned));
      assert.deepEqual(tallies(full), expected);
      assert.equal(full.pages, 11);
      assert.deepEqual(pages.slice(0, 3), [7, 14, 21]);
      const bounded = await scanKeyspace(gateway, { depth: 2, kubernetes: true, prefix: '' }, { pageSize: 7, maxPages: 3, timeMs: 60_000, pageTimeoutMs: 5000 });
      assert.equal(bounded.complete, false);
      assert.equal(bounded.stoppedBy, 'pages');
      assert.equal(bounded.scannedKeys, 21);
    } finally {
      gateway.close();
    }
  });
});
