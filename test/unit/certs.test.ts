/** Certificate checks: days left, SAN coverage, health lines and the `certs` exit code. Pure. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certReasons, certsExitCode, daysLeft, sanCovers, uncoveredURLs, urlHost, type CertificateCheck, type CertificateFacts } from '../../src/health/certs.js';
import { parseSubjectAltName } from '../../src/cluster/certs.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const DAY = 86_400_000;

function facts(days: number, sans = ['IP:10.0.0.1']): CertificateFacts {
  return { subject: 'CN=m1', issuer: 'CN=ca', serial: '01', notBefore: NOW - DAY, notAfter: NOW + days * DAY, sans, keyType: 'EC P-256', isCA: false, fingerprint256: 'AA' };
}
function member(name: string, days: number, sans?: string[], url = 'https://10.0.0.1:2379'): CertificateCheck {
  return { source: { kind: 'member', member: name, where: url, mustCover: [url] }, ok: true, cert: facts(days, sans), trusted: true };
}

test('days left are whole days, negative once expired', () => {
  assert.equal(daysLeft(NOW + 40 * DAY, NOW), 40);
  assert.equal(daysLeft(NOW + 40 * DAY - 1, NOW), 39);
  assert.equal(daysLeft(NOW - 1, NOW), -1);
});

test('SAN coverage: IPv4, IPv6 in any spelling, exact and wildcard DNS; an IP never matches a DNS SAN', () => {
  assert.equal(urlHost('https://[::1]:2379'), '::1');
  assert.ok(sanCovers(['IP:10.0.0.1'], '10.0.0.1'));
  assert.ok(!sanCovers(['IP:10.0.0.1'], '10.0.0.2'));
  assert.ok(sanCovers(['IP:0:0:0:0:0:0:0:1'], '::1'));
  assert.ok(sanCovers(['DNS:etcd-1.example.com'], 'ETCD-1.example.com'));
  assert.ok(sanCovers(['DNS:*.example.com'], 'etcd-1.example.com'));
  assert.ok(!sanCovers(['DNS:*.example.com'], 'a.b.example.com'));
  assert.ok(!sanCovers(['DNS:10.0.0.1'], '10.0.0.1'));
  assert.deepEqual(uncoveredURLs(facts(90, ['DNS:localhost']), ['https://127.0.0.1:2379', 'https://localhost:2379']), ['https://127.0.0.1:2379']);
  assert.deepEqual(parseSubjectAltName('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1'), ['DNS:localhost', 'IP:127.0.0.1', 'IP:0:0:0:0:0:0:0:1']);
});

test('thresholds: 40 days fine, 20 days degraded, 3 days and expired critical, a SAN gap degraded', () => {
  const report = { at: NOW, checks: [member('m1', 40), member('m2', 20), member('m3', 3), member('m4', -2), member('m5', 90, ['DNS:localhost'])] };
  const reasons = certReasons(report, NOW);
  const by = (name: string) => reasons.filter((r) => r.text.startsWith(`${name}:`));
  assert.deepEqual(by('m1'), []);
  assert.equal(by('m2')[0].level, 'warn');
  assert.match(by('m2')[0].text, /^m2: server certificate at https:\/\/10\.0\.0\.1:2379 expires in 20 days \(2026-12-23, under 30 days\): renew it/);
  assert.equal(by('m3')[0].level, 'crit');
  assert.match(by('m4')[0].text, /EXPIRED on 2026-12-01/);
  assert.equal(by('m5')[0].level, 'warn');
  assert.match(by('m5')[0].text, /do not cover https:\/\/10\.0\.0\.1:2379: .*reissue it with IP:10\.0\.0\.1/);
});

test('certs exit codes: 0 fine, 1 within 30 days, 2 within 7 days or uncovered, 3 nothing answered', () => {
  const code = (...checks: CertificateCheck[]) => certsExitCode({ at: NOW, checks }, NOW);
  assert.equal(code(member('m1', 40), member('m2', 31)), 0);
  assert.equal(code(member('m1', 40), member('m2', 29)), 1);
  assert.equal(code(member('m1', 40), member('m2', 6)), 2);
  assert.equal(code(member('m1', 400, ['IP:10.0.0.9'])), 2);
  assert.equal(code({ source: { kind: 'member', member: 'm1', where: 'https://10.0.0.1:2379', mustCover: [] }, ok: false, error: 'connection refused' }), 3);
  const ca: CertificateCheck = { source: { kind: 'ca', where: '/etc/ca.pem', mustCover: [] }, ok: true, cert: { ...facts(10), isCA: true } };
  assert.equal(code(member('m1', 40), ca), 1);
  assert.match(certReasons({ at: NOW, checks: [ca] }, NOW)[0].text, /^CA \/etc\/ca\.pem expires in 10 days/);
});
