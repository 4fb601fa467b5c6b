/**
 * The three-phase CA change over SSH against simulated hosts (real etcd 3.4.23 with TLS for clients
 * and peers, client-cert auth, own sshd and systemctl stand-in per host), the built binary headless:
 *   1. a new CA dir (CA2) whose certificate for the second host has a wrong SAN: refused in
 *      preflight, nothing changed (presented serials, CA files, contexts file);
 *   2. CA1 -> CA2 with a writer (etcdctl put every ~100 ms, acknowledged writes recorded): every
 *      member presents its new certificate chained to CA2, each host's trusted CA file holds only
 *      CA2, the contexts file points at CA2's ca.pem and admin.pem (the old file kept as a backup),
 *      a fresh client with only CA2 and the new client certificate connects, no acknowledged write lost.
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import tls from 'node:tls';
import { join } from 'node:path';
import YAML from 'yaml';
import { simHostsSkipReason, type SimHosts } from '../harness/hosts.js';
import { bootstrappedSimCluster, type SimCluster } from '../harness/sim-cluster.js';
import { addNode, makeClusterPki, type ClusterPki } from '../harness/certs.js';
import { runCli, showCli } from '../harness/cli.js';

const skip = simHostsSkipReason();

function pems(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

describe('CA change in three phases over SSH (simulated hosts, etcd 3.4.23, mTLS)', { skip: skip ? `skipped: ${skip}` : false }, () => {
  let cluster: SimCluster | undefined;
  let sim: SimHosts;
  let pki: ClusterPki;
  let dir: string;
  let config: string;
  let audit: string;
  const names = ['k1', 'k2', 'k3'];

  const cli = (args: string[], timeoutMs = 540_000) => runCli(['--config', config, '--audit-log', audit, ...args], { timeoutMs, cwd: dir });

  /** The certificate the member presents (no verification: whatever it is). */
  const presented = (i: number) =>
    new Promise<X509Certificate>((resolve, reject) => {
      const socket = tls.connect({ host: sim.hosts[i].address, port: 2379, rejectUnauthorized: false }, () => {
        const c = socket.getPeerX509Certificate();
        socket.destroy();
        if (c) resolve(c);
        else reject(new Error('no certificate'));
      });
      socket.setTimeout(10_000, () => socket.destroy(new Error('handshake timeout')));
      socket.on('error', reject);
    });

  const etcdctl = (args: string[], tlsFiles: { ca: string; cert: string; key: string }) =>
    new Promise<{ ok: boolean; out: string }>((resolve) =>
      execFile(
        'etcdctl',
        ['--endpoints', sim.hosts.map((h) => `https://${h.address}:2379`).join(','), '--cacert', tlsFiles.ca, '--cert', tlsFiles.cert, '--key', tlsFiles.key, '--dial-timeout', '3s', '--command-timeout', '5s', ...args],
        { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 15_000 },
        (e, stdout) => resolve({ ok: !e, out: String(stdout) }),
      ),
    );

  before(async () => {
    cluster = await bootstrappedSimCluster({ names, context: 'ca', dirPrefix: 'etcd-tui-ca-rotation-', etcd: { quota: undefined } });
    ({ sim, pki, dir, config, audit } = cluster);
  });

  after(async () => {
    await cluster?.stop();
  });

  test('a new CA dir with a wrong SAN for the second host is refused in preflight; nothing changes', async () => {
    const bad = makeClusterPki(join(dir, 'pki-bad'), sim.hosts.map((h) => ({ name: h.name, ip: h.address })));
    addNode(bad, 'k2', ['IP:10.9.9.9']);
    const contextsBefore = readFileSync(config, 'utf8');
    const serials = await Promise.all(names.map(async (_, i) => (await presented(i)).serialNumber));
    const caFiles = await Promise.all(sim.hosts.map((h) => h.readFile('/etc/etcd/pki/ca.pem')));
    const r = await cli(['rotate-certs', '--ca-dir', bad.dir, '--yes']);
    assert.equal(r.code, 5, showCli(r));
    assert.match(r.stdout, /REFUSED: the new certificates do not pass the checks.*k2: .*do not cover/, showCli(r));
    assert.deepEqual(await Promise.all(names.map(async (_, i) => (await presented(i)).serialNumber)), serials, 'no member changed its certificate');
    assert.deepEqual(await Promise.all(sim.hosts.map((h) => h.readFile('/etc/etcd/pki/ca.pem'))), caFiles, 'no CA file changed');
    assert.equal(readFileSync(config, 'utf8'), contextsBefore, 'the contexts file is as before');
    assert.deepEqual(readdirSync(join(dir, 'pki')).filter((f) => f.includes('etcd-tui-bundle')), [], 'no bundle written');
  });

  test('CA1 -> CA2 in three phases with a writer: new certificates chained to CA2, CA files CA2 only, context moved, no acknowledged write lost', async () => {
    const ca2 = makeClusterPki(join(dir, 'pki-ca2'), sim.hosts.map((h) => ({ name: h.name, ip: h.address })));
    const ca2Cert = new X509Certificate(readFileSync(ca2.ca));
    const expected = names.map((n) => new X509Certificate(readFileSync(join(ca2.dir, `member-${n}.pem`))).serialNumber.toUpperCase());
    // The writer is a client that was told about the change (as kube-apiserver must be): it trusts both CAs and has both client certificates.
    const both = join(dir, 'writer-bundle.pem');
    writeFileSync(both, readFileSync(pki.ca, 'utf8') + readFileSync(ca2.ca, 'utf8'));
    const acked: string[] = [];
    let failed = 0;
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop && i < 20_000; i++) {
        const key = `/ca/${String(i).padStart(5, '0')}`;
        const t0 = Date.now();
        let r = await etcdctl(['put', key, 'x'], { ca: both, cert: pki.admin, key: pki.adminKey });
        if (!r.ok) r = await etcdctl(['put', key, 'x'], { ca: both, cert: ca2.admin, key: ca2.adminKey });
        if (r.ok) acked.push(key);
        else failed++;
        const rest = 100 - (Date.now() - t0);
        if (rest > 0) await new Promise((res) => setTimeout(res, rest));
      }
    })();
    let r;
    try {
      r = await cli(['rotate-certs', '--ca-dir', ca2.dir, '--yes']);
    } finally {
      stop = true;
      await writer;
    }
    assert.equal(r.code, 0, showCli(r));
    assert.match(r.stdout, /phase 1 \(trusted CA files become a bundle/, showCli(r));
    assert.match(r.stdout, /other clients \(kube-apiserver/);
    for (const p of [1, 2, 3]) assert.equal([...r.stdout.matchAll(new RegExp(`\\[\\d+/\\d+\\] Phase ${p}: k\\d done \\.\\.\\.`, 'g'))].length, 3, `phase ${p}: three members done\n${showCli(r)}`);
    // Every member presents its new certificate, chained to CA2.
    for (const [i, n] of names.entries()) {
      const c = await presented(i);
      assert.equal(c.serialNumber.toUpperCase(), expected[i], `${n} presents its new certificate`);
      assert.ok(c.verify(ca2Cert.publicKey), `${n}'s certificate is signed by CA2`);
    }
    // The trusted CA files hold only CA2.
    for (const h of sim.hosts) {
      const text = (await h.readFile('/etc/etcd/pki/ca.pem')) ?? '';
      const certs = pems(text);
      assert.equal(certs.length, 1, `${h.name}: one CA in the file`);
      assert.equal(new X509Certificate(certs[0]).fingerprint256, ca2Cert.fingerprint256, `${h.name} trusts CA2 only`);
    }
    // The contexts file points at the new files; the old one is kept.
    const ctx = (YAML.parse(readFileSync(config, 'utf8')) as { contexts: Array<Record<string, unknown> & { etcd: { caDir: string } }> }).contexts[0];
    assert.equal(ctx.cacert, ca2.ca);
    assert.equal(ctx.cert, ca2.admin);
    assert.equal(ctx.key, ca2.adminKey);
    assert.equal(ctx.etcd.caDir, ca2.dir);
    const backups = readdirSync(dir).filter((f) => f.startsWith('contexts.yaml.etcd-tui-backup-'));
    assert.equal(backups.length, 1, 'one backup of the contexts file');
    assert.match(readFileSync(join(dir, backups[0]), 'utf8'), new RegExp(pki.ca.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the backup is the old file');
    assert.match(r.stdout, /context "ca" in .*contexts\.yaml now has cacert /);
    assert.ok(existsSync(audit));
    assert.match(readFileSync(audit, 'utf8'), /contextsBackup/, 'the audit record names the contexts backup');
    // A fresh client with only CA2 and the new client certificate connects; the old client certificate does not.
    const fresh = await etcdctl(['get', '/ca/', '--prefix', '--keys-only'], { ca: ca2.ca, cert: ca2.admin, key: ca2.adminKey });
    assert.ok(fresh.ok, 'a client with CA2 only connects');
    const old = await etcdctl(['get', 'x'], { ca: both, cert: pki.admin, key: pki.adminKey });
    assert.equal(old.ok, false, 'the old client certificate is not trusted any more');
    const have = new Set(fresh.out.split('\n').filter(Boolean));
    assert.deepEqual(acked.filter((k) => !have.has(k)), [], 'every acknowledged write is there');
    assert.ok(acked.length > 10, `the writer wrote during the run (${acked.length} acknowledged)`);
    process.stdout.write(`# writes during the CA change: ${acked.length} acknowledged, ${failed} failed\n`);
    // The console's status through the rewritten context.
    const st = await cli(['status']);
    assert.equal(st.code, 0, showCli(st));
    const again = await cli(['rotate-certs', '--ca-dir', ca2.dir, '--dry-run']);
    assert.equal(again.code, 5, showCli(again));
    assert.match(again.stdout, /nothing to rotate/);
  });

  test('CA2 -> CA3 one phase at a time: each run does its phase, reads where the hosts are, and moves the context along', async () => {
    const ca3 = makeClusterPki(join(dir, 'pki-ca3'), sim.hosts.map((h) => ({ name: h.name, ip: h.address })));
    const ca3Cert = new X509Certificate(readFileSync(ca3.ca));
    const ctxOf = () => (YAML.parse(readFileSync(config, 'utf8')) as { contexts: Array<Record<string, unknown>> }).contexts[0];
    const early = await cli(['rotate-certs', '--ca-dir', ca3.dir, '--phase', '3', '--yes']);
    assert.equal(early.code, 5, showCli(early));
    assert.match(early.stdout, /phase 3 needs phase 1 and 2 done on every member first/);
    const before = readFileSync(config, 'utf8');
    const p1 = await cli(['rotate-certs', '--ca-dir', ca3.dir, '--phase', '1', '--yes']);
    assert.equal(p1.code, 0, showCli(p1));
    assert.equal(readFileSync(config, 'utf8'), before, 'phase 1 leaves the contexts file');
    for (const h of sim.hosts) assert.equal(pems((await h.readFile('/etc/etcd/pki/ca.pem')) ?? '').length, 2, `${h.name} trusts both CAs`);
    const again = await cli(['rotate-certs', '--ca-dir', ca3.dir, '--phase', '1', '--dry-run']);
    assert.equal(again.code, 5, showCli(again));
    assert.match(again.stdout, /phase 1 is done on every member already \(still to do: phase 2, 3\)/);
    const p2 = await cli(['rotate-certs', '--ca-dir', ca3.dir, '--phase', '2', '--yes']);
    assert.equal(p2.code, 0, showCli(p2));
    assert.match(String(ctxOf().cacert), /etcd-tui-bundle-/, 'after phase 2 the context trusts the bundle');
    assert.equal(ctxOf().cert, ca3.admin);
    const p3 = await cli(['rotate-certs', '--ca-dir', ca3.dir, '--phase', '3', '--yes']);
    assert.equal(p3.code, 0, showCli(p3));
    assert.equal(ctxOf().cacert, ca3.ca);
    for (const [i, h] of sim.hosts.entries()) {
      const certs = pems((await h.readFile('/etc/etcd/pki/ca.pem')) ?? '');
      assert.deepEqual(certs.map((c) => new X509Certificate(c).fingerprint256), [ca3Cert.fingerprint256], `${h.name} trusts CA3 only`);
      assert.ok((await presented(i)).verify(ca3Cert.publicKey), `${h.name} presents a certificate from CA3`);
    }
    const st = await cli(['status']);
    assert.equal(st.code, 0, showCli(st));
  });
});
