/**
 * TLS files are checked before connecting (exit 4, one sentence), against a real etcd with mTLS:
 * a key that does not match the certificate, a certificate that is not PEM, a CA file that is not a
 * certificate; and http:// against a TLS member says the member may expect https://.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { runCli, showCli } from '../harness/cli.js';

describe('TLS files checked before connecting (real etcd with mTLS)', () => {
  let cluster: TestCluster;
  let dir: string;
  before(async () => {
    cluster = await startCluster({ members: 1, version: '3.5', tls: true });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-tls-files-'));
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tls = () => cluster.tls!;
  const status = (flags: string[]) => runCli(['status', '--endpoints', cluster.endpoints[0], ...flags], { timeoutMs: 30_000 });
  const oneLine = (stderr: string) => assert.equal(stderr.trim().split('\n').length, 1, stderr);

  test('the right files connect (the checks do not refuse a good set)', async () => {
    const r = await status(['--cacert', tls().caCert, '--cert', tls().clientCert, '--key', tls().clientKey]);
    assert.ok(r.code === 0 || r.code === 1, showCli(r)); // one member: healthy or degraded (tolerates no failure)
    assert.match(r.stdout, /m1\s+\S+\s+leader\s+up/, showCli(r));
  });

  test('a key that does not belong to the certificate: exit 4, names both files', async () => {
    const r = await status(['--cacert', tls().caCert, '--cert', tls().clientCert, '--key', tls().otherClientKey]);
    assert.equal(r.code, 4, showCli(r));
    oneLine(r.stderr);
    assert.match(r.stderr, new RegExp(`--key: the key ${tls().otherClientKey} does not belong to the certificate ${tls().clientCert}`));
  });

  test('key and certificate swapped: exit 4', async () => {
    const r = await status(['--cacert', tls().caCert, '--cert', tls().clientKey, '--key', tls().clientCert]);
    assert.equal(r.code, 4, showCli(r));
    oneLine(r.stderr);
    assert.match(r.stderr, /--cert: .* is not a PEM certificate \(it holds a private key\)/);
  });

  test('a certificate that is not PEM (DER, garbage): exit 4', async () => {
    const der = join(dir, 'client.der');
    writeFileSync(der, Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00, 0xff]));
    let r = await status(['--cacert', tls().caCert, '--cert', der, '--key', tls().clientKey]);
    assert.equal(r.code, 4, showCli(r));
    oneLine(r.stderr);
    assert.match(r.stderr, /--cert: .*client\.der is not a PEM certificate \(it is binary \(DER\?\)/);
    const broken = join(dir, 'broken.crt');
    writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
    r = await status(['--cacert', tls().caCert, '--cert', broken, '--key', tls().clientKey]);
    assert.equal(r.code, 4, showCli(r));
    assert.match(r.stderr, /is not a PEM certificate \(its certificate block does not parse\)/);
  });

  test('a CA file that is not a certificate (a key, an empty file): exit 4 naming the CA file, not a server problem', async () => {
    const empty = join(dir, 'empty.crt');
    writeFileSync(empty, '');
    for (const [ca, why] of [[tls().caKey, 'it holds a private key'], [empty, 'it is empty']] as const) {
      const r = await status(['--cacert', ca, '--cert', tls().clientCert, '--key', tls().clientKey]);
      assert.equal(r.code, 4, showCli(r));
      oneLine(r.stderr);
      assert.match(r.stderr, new RegExp(`--cacert: ${ca.replace(/[.]/g, '\\.')} is not a PEM CA certificate \\(${why}\\)`));
    }
  });

  test('the same checks for files named by ETCDCTL_* variables', async () => {
    const copy = join(dir, 'key-copy.pem');
    copyFileSync(tls().otherClientKey, copy);
    const r = await runCli(['status', '--endpoints', cluster.endpoints[0]], {
      env: { ETCDCTL_CACERT: tls().caCert, ETCDCTL_CERT: tls().clientCert, ETCDCTL_KEY: copy },
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 4, showCli(r));
    assert.match(r.stderr, /^etcd-tui: ETCDCTL_KEY: the key .* does not belong to the certificate/);
  });

  test('http:// against a TLS member: the message says the member may expect https://', async () => {
    const url = cluster.endpoints[0].replace(/^https:/, 'http:');
    const r = await runCli(['status', '--endpoints', url, '--dial-timeout', '2s', '--command-timeout', '3s'], { timeoutMs: 30_000 });
    assert.notEqual(r.code, 0, showCli(r));
    assert.match(r.stdout + r.stderr, /may expect https:\/\//, showCli(r));
  });
});
