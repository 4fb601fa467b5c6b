/**
 * The inventory's metrics URL against a real etcd started with --listen-metrics-urls: a context whose
 * host names that URL is scraped there (`etcd-tui status --metrics` through the contexts file), and a
 * host whose metricsUrl points at a closed port fails to scrape although its client URL serves
 * /metrics too, which shows the scrape went where the inventory said.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { runCli, showCli } from '../harness/cli.js';
import { freePorts } from '../harness/ports.js';
import type { MemberFigures } from '../../src/health/metrics.js';

describe('the inventory metrics URL (--listen-metrics-urls)', () => {
  let cluster: TestCluster;
  let metricsPort: number;
  let closedPort: number;
  let home: string;
  before(async () => {
    [metricsPort, closedPort] = await freePorts(2);
    cluster = await startCluster({ members: 1, extraArgs: ['--listen-metrics-urls', `http://127.0.0.1:${metricsPort}`] });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-metrics-url-'));
    const m = cluster.members[0];
    const client = new URL(m.clientURL);
    const peer = new URL(m.peerURL);
    const host = (metricsUrl: string) => `      - { name: ${m.name}, address: 127.0.0.1, clientPort: ${client.port}, peerPort: ${peer.port}, metricsUrl: "${metricsUrl}" }`;
    const yaml = [
      'current: good',
      'contexts:',
      '  - name: good',
      '    etcd: { tls: false }',
      '    hosts:',
      host(`http://127.0.0.1:${metricsPort}`),
      '  - name: closed',
      '    etcd: { tls: false }',
      '    hosts:',
      host(`http://127.0.0.1:${closedPort}`),
      '',
    ].join('\n');
    fs.mkdirSync(path.join(home, 'etcd-tui'), { recursive: true });
    fs.writeFileSync(path.join(home, 'etcd-tui', 'contexts.yaml'), yaml);
  });
  after(async () => {
    await cluster?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  test('the metrics listener serves /metrics (the premise)', async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /etcd_disk_wal_fsync_duration_seconds_bucket/);
  });

  test('status --metrics scrapes the URL the inventory names', async () => {
    const r = await runCli(['status', '--metrics', '--json', '--context', 'good'], { env: { XDG_CONFIG_HOME: home }, timeoutMs: 60_000 });
    assert.ok(r.code === 0 || r.code === 1, showCli(r));
    const doc = JSON.parse(r.stdout) as { metrics: Record<string, MemberFigures & { error?: string }> };
    const f = doc.metrics[cluster.members[0].name];
    assert.ok(f && f.error === undefined && (f.rssBytes ?? 0) > 1e6, showCli(r));
  });

  test('a metricsUrl on a closed port fails the scrape, the status itself still answers', async () => {
    const r = await runCli(['status', '--metrics', '--json', '--context', 'closed'], { env: { XDG_CONFIG_HOME: home }, timeoutMs: 60_000 });
    assert.ok(r.code === 0 || r.code === 1, showCli(r));
    const doc = JSON.parse(r.stdout) as { metrics: Record<string, { error?: string }>; members?: unknown };
    const f = doc.metrics[cluster.members[0].name];
    assert.ok(f?.error, showCli(r));
    assert.ok(!r.stderr.includes('    at '), 'no stack trace');
  });
});
