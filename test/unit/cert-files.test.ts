/**
 * The hosts' certificate files: which files an env file names (grouped when one file is the peer and
 * the server certificate), PEM parsing with node:crypto (real certificates made with openssl), the
 * reading over a host reader (a fake with the files in memory: a host that does not answer, a missing
 * or malformed env file, a peer certificate that does not cover the peer URL), the health lines and
 * exit code they give, and the detail tab's blocks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCerts, signServerCert } from '../harness/certs.js';
import { parsePemCertificates } from '../../src/cluster/certs.js';
import { certificateFilesOf, readHostCertificates, type HostFileReader } from '../../src/monitor/certs.js';
import { certReasons, certsExitCode, type CertificateCheck, type CertReport } from '../../src/health/certs.js';
import { certRows, memberCertBlocks } from '../../src/format/certs.js';
import { hostSpec, member } from '../fakes/fixtures.js';
import { HostError } from '../../src/domain/errors.js';

const DAY = 86_400_000;

test('the env file names the files: one file for peer and server is one entry; both CA settings to one file are one', () => {
  const files = certificateFilesOf({
    ETCD_PEER_CERT_FILE: '/etc/etcd/pki/member-m1.pem',
    ETCD_CERT_FILE: '/etc/etcd/pki/member-m1.pem',
    ETCD_TRUSTED_CA_FILE: '/etc/etcd/pki/ca.pem',
    ETCD_PEER_TRUSTED_CA_FILE: '/etc/etcd/pki/ca.pem',
    ETCD_KEY_FILE: '/etc/etcd/pki/member-m1-key.pem',
  });
  assert.deepEqual(files, [
    { path: '/etc/etcd/pki/member-m1.pem', ca: false, roles: ['peer', 'server'] },
    { path: '/etc/etcd/pki/ca.pem', ca: true, roles: ['client', 'peer'] },
  ]);
  assert.deepEqual(certificateFilesOf({ ETCD_PEER_CERT_FILE: '/p.pem', ETCD_CERT_FILE: '/s.pem', ETCD_TRUSTED_CA_FILE: ' ' }), [
    { path: '/p.pem', ca: false, roles: ['peer'] },
    { path: '/s.pem', ca: false, roles: ['server'] },
  ]);
  assert.deepEqual(certificateFilesOf({ ETCD_NAME: 'm1' }), []);
});

test('PEM parsing: every certificate of a bundle; no certificate or a broken one is one line naming the file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-cert-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makeCerts(dir);
  const ca = readFileSync(pki.caCert, 'utf8');
  const other = readFileSync(pki.otherCaCert, 'utf8');
  const bundle = parsePemCertificates(ca + other, 'ca.pem on h1');
  assert.deepEqual(bundle.map((c) => c.subject), ['CN=etcd-tui test CA', 'CN=etcd-tui unrelated CA']);
  assert.ok(bundle.every((c) => c.isCA && c.keyType === 'EC P-256'));
  const server = parsePemCertificates(readFileSync(pki.serverCert, 'utf8'), 'x')[0];
  assert.deepEqual(server.sans, ['IP:127.0.0.1', 'DNS:localhost']);
  assert.throws(() => parsePemCertificates('ETCD_NAME=m1\n', '/etc/etcd/pki/member-h1.pem on h1'), { message: '/etc/etcd/pki/member-h1.pem on h1 holds no PEM certificate' });
  assert.throws(() => parsePemCertificates('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', 'f.pem on h1'), (e: Error) => /^f\.pem on h1: certificate 1 does not parse/.test(e.message) && !e.message.includes('\n'));
});

/** A reader over in-memory files per host; a host in `down` throws as an unreachable one does. */
function fakeReader(files: Record<string, Record<string, string>>, down: Record<string, string> = {}) {
  const reads: string[] = [];
  let closed = 0;
  const reader: HostFileReader = {
    hosts: [hostSpec('h1', '10.0.0.1'), hostSpec('h2', '10.0.0.2'), hostSpec('h3', '10.0.0.3')],
    tls: true,
    readFile: async (host, path) => {
      reads.push(`${host}:${path}`);
      if (down[host]) throw new Error(down[host]);
      const text = files[host]?.[path];
      return text === undefined ? undefined : Buffer.from(text);
    },
    close: async () => void closed++,
  };
  return { reader, reads, closed: () => closed };
}

const ENV = (name: string) =>
  [`ETCD_NAME=${name}`, `ETCD_PEER_CERT_FILE=/etc/etcd/pki/member-${name}.pem`, `ETCD_CERT_FILE="/etc/etcd/pki/member-${name}.pem"`, 'ETCD_TRUSTED_CA_FILE=/etc/etcd/pki/ca.pem', 'ETCD_PEER_TRUSTED_CA_FILE=/etc/etcd/pki/ca.pem', `ETCD_KEY_FILE=/etc/etcd/pki/member-${name}-key.pem`].join('\n') + '\n';

test('reading over the hosts: 20-day peer files named with host and date, an uncovered peer URL, an unreachable host as one line, keys never read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-cert-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makeCerts(dir);
  const h1 = signServerCert(pki, 'h1', 20, ['IP:10.0.0.1']);
  // h2's certificate lacks its own address: its peers cannot verify it.
  const h2 = signServerCert(pki, 'h2', 200, ['IP:10.0.0.99']);
  const ca = readFileSync(pki.caCert, 'utf8');
  const { reader, reads, closed } = fakeReader(
    {
      h1: { '/etc/etcd/etcd.env': ENV('h1'), '/etc/etcd/pki/member-h1.pem': readFileSync(h1.cert, 'utf8'), '/etc/etcd/pki/ca.pem': ca },
      h2: { '/etc/etcd/etcd.env': ENV('h2'), '/etc/etcd/pki/member-h2.pem': readFileSync(h2.cert, 'utf8'), '/etc/etcd/pki/ca.pem': ca },
    },
    { h3: 'cannot connect to h3 (10.0.0.3:22): connection refused' },
  );
  // h1 is a member (its advertised URLs count); h2 is not in the list yet (the inventory's URLs count).
  const members = [member('h1', { peerURLs: ['https://10.0.0.1:2380'], clientURLs: ['https://10.0.0.1:2379'] })];
  const checks = await readHostCertificates(reader, members);
  assert.equal(closed(), 1, 'the connections are closed after the round');
  assert.ok(reads.every((r) => !r.includes('-key.pem')), `no key file is read: ${reads.join(' ')}`);
  const byHost = (h: string) => checks.filter((c) => c.source.host === h);
  assert.deepEqual(byHost('h1').map((c) => c.source.use), ['peer and server certificate', 'client and peer trusted CA']);
  assert.deepEqual(byHost('h1')[0].source.mustCover, ['https://10.0.0.1:2380', 'https://10.0.0.1:2379']);
  assert.deepEqual(byHost('h2')[0].source.mustCover, ['https://10.0.0.2:2380', 'https://10.0.0.2:2379']);
  assert.deepEqual(byHost('h3').map((c) => [c.ok, c.source.use, c.ok ? '' : c.error]), [[false, 'env file', 'cannot connect to h3 (10.0.0.3:22): connection refused']]);

  const now = Date.now();
  const report: CertReport = { at: now, checks };
  const text = certReasons(report, now).map((r) => `${r.level} ${r.text}`);
  assert.ok(text.some((l) => /^warn h1: peer and server certificate \/etc\/etcd\/pki\/member-h1\.pem \(host h1\) expires in 19 days \(\d{4}-\d\d-\d\d, under 30 days\): renew it/.test(l)), text.join('\n'));
  assert.ok(text.some((l) => l.startsWith('warn h2: peer and server certificate /etc/etcd/pki/member-h2.pem (host h2): SANs (IP:10.0.0.99) do not cover https://10.0.0.2:2380, https://10.0.0.2:2379') && l.includes('reissue it with IP:10.0.0.2')), text.join('\n'));
  assert.ok(text.includes('info h3: env file /etc/etcd/etcd.env (host h3): not read (cannot connect to h3 (10.0.0.3:22): connection refused)'), text.join('\n'));
  // An uncovered URL is exit 2, as for the handshakes; the unreachable host changes no code.
  assert.equal(certsExitCode(report, now), 2);
  const onlyH1: CertReport = { at: now, checks: [...byHost('h1'), ...byHost('h3')] };
  assert.equal(certsExitCode(onlyH1, now), 1);
  const rows = certRows(onlyH1, now);
  assert.deepEqual(rows.map((r) => [r.what, r.where, r.state]), [
    ['h1 peer', '/etc/etcd/pki/member-h1.pem', 'warn'],
    ['h1 CA', '/etc/etcd/pki/ca.pem', 'ok'],
    ['h3 env', '/etc/etcd/etcd.env', 'error'],
  ]);
});

test('a missing or malformed env file, a missing certificate file: one line each, the round goes on', async () => {
  const { reader } = fakeReader({
    h1: { '/etc/etcd/etcd.env': 'ETCD_NAME=h1\nthis is not an env file\n' },
    h2: { '/etc/etcd/etcd.env': ENV('h2') },
  });
  const checks = await readHostCertificates(reader, undefined);
  const errors = checks.map((c) => [c.source.host, c.source.where, c.ok ? 'ok' : c.error]);
  assert.deepEqual(errors[0], ['h1', '/etc/etcd/etcd.env', '/etc/etcd/etcd.env on h1: line 2: "this is not an env file" is not KEY=VALUE (is this an environment file?)']);
  assert.deepEqual(errors.slice(1), [
    ['h2', '/etc/etcd/pki/member-h2.pem', 'not found on the host'],
    ['h2', '/etc/etcd/pki/ca.pem', 'not found on the host'],
    ['h3', '/etc/etcd/etcd.env', 'not found on the host'],
  ]);
});

test('the detail tab: the member\'s handshake certificate, then its host files; coverage and days on their lines', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  const cert = (days: number, sans: string[], isCA = false) => ({ subject: isCA ? 'CN=etcd CA' : 'CN=h1', issuer: 'CN=etcd CA', serial: '0A1B', notBefore: now - DAY, notAfter: now + days * DAY + 3_600_000, sans, keyType: 'EC P-256', isCA, fingerprint256: 'AA' });
  const checks: CertificateCheck[] = [
    { source: { kind: 'member', member: 'h1', where: 'https://10.0.0.1:2379', mustCover: ['https://10.0.0.1:2379'] }, ok: true, cert: cert(40, ['IP:10.0.0.1']), trusted: true },
    { source: { kind: 'member', member: 'h2', where: 'https://10.0.0.2:2379', mustCover: ['https://10.0.0.2:2379'] }, ok: true, cert: cert(40, ['IP:10.0.0.2']), trusted: true },
    { source: { kind: 'host-file', member: 'h1', host: 'h1', where: '/etc/etcd/pki/member-h1.pem', use: 'peer certificate', mustCover: ['https://10.0.0.1:2380'] }, ok: true, cert: cert(20, ['IP:10.0.0.9']) },
    { source: { kind: 'host-file', member: 'h1', host: 'h1', where: '/etc/etcd/pki/ca.pem', use: 'client and peer trusted CA', mustCover: [] }, ok: true, cert: cert(3000, [], true) },
  ];
  const blocks = memberCertBlocks({ at: now, checks }, { label: 'h1', urls: ['https://10.0.0.1:2379'] }, now);
  assert.deepEqual(blocks.map((b) => [b.title, b.state]), [
    ['presented on https://10.0.0.1:2379 (TLS handshake)', 'ok'],
    ['peer certificate /etc/etcd/pki/member-h1.pem on h1', 'warn'],
    ['client and peer trusted CA /etc/etcd/pki/ca.pem on h1', 'ok'],
  ]);
  assert.deepEqual(blocks[0].lines, [
    ['subject', 'h1   key EC P-256'],
    ['issuer', 'etcd CA   serial 0A1B'],
    ['SANs', 'IP:10.0.0.1'],
    ['not after', '2027-01-12 13:00 UTC, 40 days left', 'ok'],
    ['covers', 'https://10.0.0.1:2379', 'ok'],
  ]);
  assert.deepEqual(blocks[1].lines.slice(3), [
    ['not after', '2026-12-23 13:00 UTC, 20 days left', 'warn'],
    ['covers', 'NOT https://10.0.0.1:2380', 'warn'],
  ]);
  assert.deepEqual(blocks[2].lines, [['CA', 'etcd CA, EC P-256'], ['not after', '2035-02-19 13:00 UTC, 3000 days left', 'ok']]);
});

test('an unknown host key is never trusted by a read: the line says how to trust it', async () => {
  const reader: HostFileReader = {
    hosts: [hostSpec('h1', '10.0.0.1', { ssh: { ...hostSpec('h1', '10.0.0.1').ssh, knownHosts: '/root/.ssh/known_hosts' } })],
    tls: true,
    readFile: async () => {
      throw new HostError('host key of 10.0.0.1:22 (SHA256:x, ssh-ed25519) was not accepted; nothing was written to /root/.ssh/known_hosts', 'host-key-unknown', '10.0.0.1');
    },
    close: async () => undefined,
  };
  const [check] = await readHostCertificates(reader, undefined);
  assert.equal(check.ok, false);
  assert.match(check.ok ? '' : check.error, /^the host key of 10\.0\.0\.1 is not in \/root\/\.ssh\/known_hosts \(not trusted by a read\): check its fingerprint and trust it/);
});
