/**
 * `etcd-tui certs` with the context's hosts (simulated hosts: own sshd, real etcd, mTLS, bootstrapped
 * by the built binary): the peer certificate files named in each host's env file are read over SSH
 * and checked like the handshakes. The member certificates (peer and server) expire in 20 days: the
 * output names the host, the file and the date, exit 1; --no-ssh leaves the files out; a host whose
 * sshd is gone is a line, not a failure (the exit code stays the certificates' own). The console (the
 * built binary in tmux) reads them on start: the verdict names the peer file, K lists it, the
 * member detail's certificates tab (tab) shows it.
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startSimHosts, simHostsSkipReason, type SimHosts } from '../harness/hosts.js';
import { makeClusterPki } from '../harness/certs.js';
import { BIN, runCli, showCli } from '../harness/cli.js';
import { startTmux, type TmuxSession } from '../harness/tmux.js';

const skip = simHostsSkipReason();

interface CertsDoc {
  certificates: Array<{ kind: string; member: string | null; where: string; host?: string; use?: string; daysLeft?: number; mustCover?: string[]; uncovered?: string[]; isCA?: boolean; error: string | null }>;
  exitCode: number;
}

describe('etcd-tui certs: the hosts\' peer certificate files over SSH (simulated hosts)', { skip: skip ? `skipped: ${skip}` : false }, () => {
  let sim: SimHosts;
  let dir: string;
  let config: string;
  const names = ['p1', 'p2', 'p3'];
  const cli = (args: string[], timeoutMs = 120_000) => runCli(['--config', config, '--audit-log', join(dir, 'audit.jsonl'), ...args], { timeoutMs, cwd: dir });

  before(async () => {
    sim = await startSimHosts(3, { names, standinSettleMs: 1000 });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-certs-hosts-'));
    // Member certificates (etcd uses each for peers and clients) valid for 20 days only.
    const pki = makeClusterPki(join(dir, 'pki'), sim.hosts.map((h) => ({ name: h.name, ip: h.address, days: 20 })));
    writeFileSync(join(dir, 'known_hosts'), sim.hosts.map((h) => h.knownHostsLine()).join('\n') + '\n', { mode: 0o600 });
    config = join(dir, 'contexts.yaml');
    const context = {
      name: 'certs-hosts',
      ssh: { identityFile: sim.clientKey, knownHosts: join(dir, 'known_hosts'), agent: false, connectTimeout: '3s' },
      // 20-day certificates pass the bootstrap preflight only with a lower bound than its default 30 days.
      etcd: { version: '3.4.23', binarySource: '/usr/bin/etcd', caDir: pki.dir, heartbeatInterval: 100, electionTimeout: 1000, minCertValidityDays: 10 },
      hosts: sim.hosts.map((h) => ({ name: h.name, address: h.address })),
    };
    writeFileSync(config, YAML.stringify({ current: 'certs-hosts', contexts: [context] }));
    const boot = await cli(['bootstrap', 'cluster', '--yes'], 420_000);
    assert.equal(boot.code, 0, showCli(boot));
  });

  let tui: TmuxSession | undefined;
  after(async () => {
    tui?.stop();
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the peer certificate file of each host is named with its date and the fix; exit 1 (within 30 days)', async () => {
    const r = await cli(['certs']);
    assert.equal(r.code, 1, showCli(r));
    for (const n of names) {
      assert.match(r.stdout, new RegExp(`WARN ${n}: peer and server certificate /etc/etcd/pki/member-${n}\\.pem \\(host ${n}\\) expires in 19 days \\(\\d{4}-\\d\\d-\\d\\d, under 30 days\\): renew it`), showCli(r));
      assert.match(r.stdout, new RegExp(`${n} peer +/etc/etcd/pki/member-${n}\\.pem`), showCli(r));
    }
    const json = await cli(['certs', '--json']);
    assert.equal(json.code, 1, showCli(json));
    const doc = JSON.parse(json.stdout) as CertsDoc;
    assert.equal(doc.exitCode, 1);
    for (const h of sim.hosts) {
      const peer = doc.certificates.find((c) => c.kind === 'host-file' && c.host === h.name && c.use === 'peer and server certificate');
      assert.ok(peer, JSON.stringify(doc.certificates));
      assert.equal(peer.where, `/etc/etcd/pki/member-${h.name}.pem`);
      assert.equal(peer.daysLeft, 19);
      assert.deepEqual(peer.mustCover, [`https://${h.address}:2380`, `https://${h.address}:2379`]);
      assert.deepEqual(peer.uncovered, []);
      const ca = doc.certificates.find((c) => c.kind === 'host-file' && c.host === h.name && c.use === 'client and peer trusted CA');
      assert.equal(ca?.where, '/etc/etcd/pki/ca.pem');
      assert.equal(ca?.isCA, true);
    }
  });

  test('--no-ssh: the handshakes and local files only', async () => {
    const r = await cli(['certs', '--json', '--no-ssh']);
    assert.equal(r.code, 1, showCli(r));
    const doc = JSON.parse(r.stdout) as CertsDoc;
    assert.deepEqual(doc.certificates.filter((c) => c.kind === 'host-file'), []);
    assert.equal(doc.certificates.filter((c) => c.kind === 'member').length, 3);
  });

  test('a host whose sshd is gone is one line; the other host and the members are still read', async () => {
    const p2 = sim.hosts[1];
    await p2.killSshd();
    const r = await cli(['certs']);
    assert.equal(r.code, 1, showCli(r));
    assert.match(r.stdout, /info p2: env file \/etc\/etcd\/etcd\.env \(host p2\): not read \(.+\)/, showCli(r));
    assert.match(r.stdout, /WARN p1: peer and server certificate \/etc\/etcd\/pki\/member-p1\.pem \(host p1\) expires in 19 days/);
    assert.doesNotMatch(r.stdout, /p2: peer and server certificate/);
    // The member p2 still answers its handshake (etcd runs; only SSH is gone).
    assert.match(r.stdout, /WARN p2: server certificate at https:\/\/[\d.]+:2379 expires in 19 days/);
  });

  test('the console reads them on start: the verdict, K and the detail\'s certificates tab name the peer file; p2 without sshd is a line', async () => {
    tui = startTmux({ cmd: [process.execPath, BIN, '--config', config, '--audit-log', join(dir, 'audit.jsonl')], env: { CI: undefined, XDG_CONFIG_HOME: '/nonexistent' }, cols: 160, rows: 50 });
    let screen = await tui.waitForText(/p1: peer and server certificate \/etc\/etcd\/pki\/member-p1\.pem \(host p1\) expires in 19 days/, 60_000);
    assert.match(screen, /DEGRADED/);
    tui.type('K');
    screen = await tui.waitForText(/p2: env file \/etc\/etcd\/etcd\.env \(host p2\): not read/, 60_000);
    assert.match(screen, /p1 peer +\/etc\/etcd\/pki\/member-p1\.pem/);
    tui.send('Escape');
    await tui.waitForText('MEMBERS (3)', 10_000);
    tui.send('Enter');
    await tui.waitForText(/MEMBER p\d/, 10_000);
    tui.send('Tab');
    screen = await tui.waitForText(/CERTIFICATES of p\d/, 10_000);
    assert.match(screen, /presented on https:\/\/[\d.]+:2379 \(TLS handshake\)/);
    assert.match(screen, /peer and server certificate \/etc\/etcd\/pki\/member-p\d\.pem on p\d|env file \/etc\/etcd\/etcd\.env on p2/);
    tui.stop();
    tui = undefined;
  });
});
