/**
 * End to end in a real terminal (tmux): the console on an mTLS cluster whose m3 certificate expires
 * in 3 days goes CRITICAL with the certificate line, K shows every certificate, H runs the
 * consistency check, U scans the keyspace, and the timeline shows a flow from the audit log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { signServerCert } from '../harness/certs.js';
import { startTmux, type TmuxSession } from '../harness/tmux.js';
import { repoRoot } from '../harness/binaries.js';

const BIN = join(repoRoot(), 'dist', 'etcd-tui.js');

describe('the visibility panes in the console', () => {
  let cluster: TestCluster;
  let tui: TmuxSession | undefined;
  let dir: string;
  before(async () => {
    cluster = await startCluster({ members: 3, tls: true });
    const tls = cluster.tls!;
    const leaf = signServerCert(tls, 'member-m3-3d', 3, ['IP:127.0.0.1', 'DNS:localhost']);
    await cluster.kill('m3', 'SIGTERM');
    cluster.tls = { ...tls, serverCert: leaf.cert, serverKey: leaf.key };
    try {
      await cluster.restart('m3');
    } finally {
      cluster.tls = tls;
    }
    for (let i = 0; i < 12; i++) await cluster.etcdctl(['put', `/registry/pods/default/p${i}`, 'x'.repeat(100)]);
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-e2e-audit-'));
  });
  after(async () => {
    await tui?.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('certificate expiry turns the verdict critical; K, H, U and the timeline', async () => {
    assert.ok(existsSync(BIN), `built binary at ${BIN}`);
    const t = cluster.tls!;
    const audit = join(dir, 'audit.jsonl');
    writeFileSync(audit, JSON.stringify({ time: new Date().toISOString(), user: 'someone-else', context: '(flags)', command: 'move-leader', arguments: { member: 'm2' }, outcome: 'succeeded' }) + '\n');
    tui = startTmux({
      cmd: [process.execPath, BIN, '--endpoints', cluster.endpoints.join(','), '--cacert', t.caCert, '--cert', t.clientCert, '--key', t.clientKey, '--refresh', '500ms', '--audit-log', audit],
      env: { ETCDCTL_ENDPOINTS: undefined, XDG_CONFIG_HOME: '/nonexistent' },
      cols: 200,
      rows: 50,
    });
    await tui.waitForText(/CRITICAL/, 20_000);
    tui.send('K');
    let screen = await tui.waitForText(/CERTIFICATES \(read/, 10_000);
    assert.match(screen, /m3: server certificate at https:\/\/127\.0\.0\.1:\d+ expires in 2 days/);
    assert.match(screen, /m1\s+https:\/\/127\.0\.0\.1:\d+\s+etcd-tui test server/);
    assert.match(screen, /^\s+CA\s+\S+(ca\.crt)?.*\bok\b/m);
    tui.send('Escape');
    tui.send('H');
    screen = await tui.waitForText(/agree on KV hash \d+ at revision \d+/, 20_000);
    assert.match(screen, /3 members agree/);
    tui.send('Escape');
    tui.send('U');
    screen = await tui.waitForText(/TOP BY KEYS/, 20_000);
    assert.match(screen, /\/registry\/pods\/default\s+\S+ kB\s+12/);
    tui.send('Escape');
    tui.send('e');
    screen = await tui.waitForText(/someone-else: move leader m2 \(succeeded\)/, 10_000);
    tui.send('q');
    assert.equal(await tui.waitForExit(5000), 0);
  });
});
