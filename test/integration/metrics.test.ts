/**
 * Metrics from real members over mutual TLS: the scraper reads /metrics with the client TLS settings
 * twice and the figures come from the deltas; `etcd-tui status --metrics` prints them and folds
 * their health lines into the verdict.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { runCli, showCli } from '../harness/cli.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import { MetricsScraper } from '../../src/monitor/metrics.js';
import type { MemberFigures } from '../../src/health/metrics.js';

describe('metrics over mTLS', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster({ members: 3, tls: true });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a real member scraped twice: p99 from the writes in between, peers, RSS and open files', async () => {
    const t = cluster.tls!;
    const settings = { contextName: 't', endpoints: cluster.endpoints, tls: { cacert: t.caCert, cert: t.clientCert, key: t.clientKey }, dialTimeoutMs: 2000, commandTimeoutMs: 5000, refreshMs: 1000, readOnly: false };
    const gateway = new EtcdGateway(settings, { statusMs: 2000, commandMs: 5000, longMs: 60_000 });
    try {
      const { members } = await gateway.memberList();
      const scraper = new MetricsScraper(gateway, 5000);
      const first = await scraper.round(members);
      assert.deepEqual(first.errors, {});
      // The first scrape alone gives no latency figure: there is nothing to take a delta from.
      assert.ok(Object.values(first.figures).every((f) => f.walFsyncP99Ms === undefined));
      for (let i = 0; i < 20; i++) assert.equal((await cluster.etcdctl(['put', `/m/${i}`, 'x'])).code, 0);
      const second = await scraper.round(members);
      assert.deepEqual(second.errors, {});
      for (const m of members) {
        const f = second.figures[m.id] as MemberFigures;
        assert.ok(f.walFsyncP99Ms !== undefined && f.walFsyncP99Ms > 0, `${m.name} WAL fsync p99 ${f.walFsyncP99Ms}`);
        assert.ok(f.backendCommitP99Ms === undefined || f.backendCommitP99Ms > 0);
        // etcd records a peer's round trip every 30 s: a young cluster may have none yet; any it has are the other members.
        const others = members.filter((x) => x.id !== m.id).map((x) => BigInt(x.id).toString(16));
        assert.ok(Object.keys(f.peerRttP99Ms).every((hex) => others.includes(hex)), `${m.name} peers ${Object.keys(f.peerRttP99Ms)}`);
        assert.ok((f.rssBytes ?? 0) > 1e6 && (f.openFds ?? 0) > 5);
        assert.equal(f.proposalsFailedPerMin, 0);
      }
    } finally {
      gateway.close();
    }
  });

  test('status --metrics: the figures per member and the verdict with the metric lines', async () => {
    const t = cluster.tls!;
    const r = await runCli(['status', '--metrics', '--json', '--endpoints', cluster.endpoints.join(','), '--cacert', t.caCert, '--cert', t.clientCert, '--key', t.clientKey], { timeoutMs: 60_000 });
    assert.ok(r.code === 0 || r.code === 1, showCli(r));
    const doc = JSON.parse(r.stdout) as { metrics: Record<string, MemberFigures & { error?: string }>; metricsGapMs: number; exitCode: number };
    assert.deepEqual(Object.keys(doc.metrics).sort(), ['m1', 'm2', 'm3']);
    assert.ok(Object.values(doc.metrics).every((f) => f.error === undefined && (f.rssBytes ?? 0) > 0));
    assert.equal(doc.metricsGapMs, 5000);
    const text = await runCli(['status', '--metrics', '--endpoints', cluster.endpoints[0], '--cacert', t.caCert, '--cert', t.clientCert, '--key', t.clientKey], { timeoutMs: 60_000 });
    assert.match(text.stdout, /metrics \(p99 over the 5 s between two scrapes/);
    assert.match(text.stdout, /NAME\s+WAL FSYNC p99\s+COMMIT p99\s+PEER RTT p99/);
    assert.match(text.stdout, /^m1\s+/m);
  });
});
