/**
 * The member detail's certificates tab at 80x24: the console's InspectMonitor reads on start, with
 * the hosts' files through a host reader (a fake over real openssl-made certificates: m1's peer and
 * server file expires in 20 days, m3's host does not answer); tab switches the detail to the
 * certificates and back; the host reader is asked for once and stopped when the monitor stops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { App } from '../../screens/App.js';
import { createAppStore, type AppStore } from '../../src/store/store.js';
import { pollOnce } from '../../src/monitor/poller.js';
import { InspectMonitor } from '../../src/monitor/inspect.js';
import type { HostFileReader } from '../../src/monitor/certs.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { hostSpec } from '../fakes/fixtures.js';
import { waitFor } from '../harness/wait.js';
import { makeCerts, signServerCert } from '../harness/certs.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const plain = (f: string) => f.replace(ANSI, '');

const connection = { contextName: 'test', endpoints: ['http://127.0.0.1:2389'], readOnly: false, refreshMs: 1000, secure: false };
const settings = { contextName: 'test', endpoints: connection.endpoints, tls: {}, dialTimeoutMs: 1000, commandTimeoutMs: 1000, refreshMs: 1000, readOnly: false };

test('tab in the detail: the member\'s certificates (peer file over SSH, 20 days: warned), an unreachable host as a line; 80x24', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-member-certs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makeCerts(dir);
  const leaf = signServerCert(pki, 'm1', 20, ['IP:127.0.0.1']);
  const files: Record<string, string> = {
    'm1:/etc/etcd/etcd.env': 'ETCD_PEER_CERT_FILE=/etc/etcd/pki/member-m1.pem\nETCD_CERT_FILE=/etc/etcd/pki/member-m1.pem\nETCD_TRUSTED_CA_FILE=/etc/etcd/pki/ca.pem\n',
    'm1:/etc/etcd/pki/member-m1.pem': readFileSync(leaf.cert, 'utf8'),
    'm1:/etc/etcd/pki/ca.pem': readFileSync(pki.caCert, 'utf8'),
  };
  let asked = 0;
  let stopped = 0;
  const reader: HostFileReader = {
    hosts: [hostSpec('m1', '127.0.0.1'), hostSpec('m3', '10.9.9.9')],
    tls: true,
    readFile: async (host, path) => {
      if (host === 'm3') throw new Error('cannot connect to m3 (10.9.9.9:22): no route to host');
      const text = files[`${host}:${path}`];
      return text === undefined ? undefined : Buffer.from(text);
    },
    close: async () => undefined,
    stop: () => void stopped++,
  };

  const gateway = new FakeGateway();
  const store: AppStore = createAppStore({ connection });
  store.getState().applyBatch(await pollOnce(gateway));
  const monitor = new InspectMonitor(store, settings, gateway, Date.now, join(dir, 'audit.jsonl'), async () => {
    asked++;
    return reader;
  });
  const ui = render(<App store={store} actions={{ quit: () => undefined, refreshNow: () => undefined, switchContext: () => undefined, inspect: monitor }} />);
  t.after(() => {
    monitor.stop();
    ui.unmount();
  });
  Object.defineProperty(ui.stdout, 'columns', { value: 80, configurable: true });
  Object.defineProperty(ui.stdout, 'rows', { value: 24, configurable: true });
  ui.stdout.emit('resize');
  // On a timeout the error shows the last frame.
  const frame = (what: string, check: (f: string) => boolean) =>
    waitFor(() => {
      const f = plain(ui.lastFrame() ?? '');
      return check(f) ? f : undefined;
    }, { what, timeoutMs: 5000, intervalMs: 10 }).catch((error: Error) => {
      throw new Error(`${error.message}; last frame:\n${plain(ui.lastFrame() ?? '')}`);
    });
  const press = async (key: string) => {
    ui.stdin.write(key);
    await new Promise((r) => setImmediate(r));
  };
  const fits = (f: string) => {
    const lines = f.split('\n');
    assert.ok(lines.length <= 23, `${lines.length} rows for a 24-row terminal:\n${f}`);
    for (const l of lines) assert.ok([...l].length <= 80, `row wider than 80: "${l}"`);
  };

  monitor.start();
  await waitFor(() => store.getState().inspect.certs, { what: 'the first certificate reading', timeoutMs: 5000, intervalMs: 10 });
  // The 20-day peer file reaches the verdict; the unreachable host does not.
  const reasons = store.getState().inspect.checks.certs ?? [];
  assert.ok(reasons.some((r) => r.level === 'warn' && /^m1: peer and server certificate \/etc\/etcd\/pki\/member-m1\.pem \(host m1\) expires in 19 days/.test(r.text)), JSON.stringify(reasons));
  assert.ok(!reasons.some((r) => r.text.includes('m3')), JSON.stringify(reasons));

  await frame('dashboard', (f) => f.includes('MEMBERS'));
  await press('\r');
  const status = await frame('detail', (f) => f.includes('MEMBER m1') && f.includes('raft term'));
  assert.match(status, /certificates \(tab\)/);
  await press('\t');
  const certs = await frame('certificates tab', (f) => f.includes('CERTIFICATES of m1'));
  fits(certs);
  assert.match(certs, /presented on http:\/\/127\.0\.0\.1:2389 \(TLS handshake\)\n +not read +plain http: no certificate/);
  assert.match(certs, /peer and server certificate \/etc\/etcd\/pki\/member-m1\.pem on m1\n +subject +etcd-tui test m1 +key EC P-256\n +issuer +etcd-tui test CA +serial [0-9A-F]+\n +SANs +IP:127\.0\.0\.1\n +not after +\d{4}-\d\d-\d\d \d\d:\d\d UTC, 19 days left\n +covers +\(no https URL to check\)/);
  assert.match(certs, /client trusted CA \/etc\/etcd\/pki\/ca\.pem on m1\n +CA +etcd-tui test CA, EC P-256/);
  assert.doesNotMatch(certs, /raft term/);

  // Back to the status with tab; then m3, whose host does not answer: a line in its tab.
  await press('\t');
  await frame('status again', (f) => f.includes('raft term'));
  await press('\x1b');
  await frame('dashboard', (f) => f.includes('MEMBERS (3)') && !f.includes('MEMBER m1'));
  await press('j');
  await press('j');
  await press('\r');
  await frame('m3 detail', (f) => f.includes('MEMBER m3'));
  await press('\t');
  const m3 = await frame('m3 certificates', (f) => f.includes('CERTIFICATES of m3'));
  fits(m3);
  assert.match(m3, /env file \/etc\/etcd\/etcd\.env on m3\n +not read +cannot connect to m3 \(10\.9\.9\.9:22\): no route to host/);

  // Read again (K): the host reader is the same, asked for once.
  monitor.refreshCertificates();
  await waitFor(() => asked === 1 && store.getState().inspect.certs !== undefined ? true : undefined, { what: 'a second reading', timeoutMs: 5000 });
  assert.equal(asked, 1);
  // Leaving the console stops the reader for good (no SSH connect holds the process).
  monitor.stop();
  await waitFor(() => (stopped === 1 ? true : undefined), { what: 'the host reader stopped', timeoutMs: 2000 });
});

test('more certificates than rows: the tab shows what fits and counts the rest; 80x24', async (t) => {
  const gateway = new FakeGateway();
  const store: AppStore = createAppStore({ connection });
  store.getState().applyBatch(await pollOnce(gateway));
  const ui = render(<App store={store} actions={{ quit: () => undefined, refreshNow: () => undefined, switchContext: () => undefined }} />);
  t.after(() => ui.unmount());
  Object.defineProperty(ui.stdout, 'columns', { value: 80, configurable: true });
  Object.defineProperty(ui.stdout, 'rows', { value: 24, configurable: true });
  ui.stdout.emit('resize');
  const now = Date.now();
  const cert = { subject: 'CN=m1', issuer: 'CN=ca', serial: '01', notBefore: now - 86_400_000, notAfter: now + 90 * 86_400_000, sans: ['IP:127.0.0.1'], keyType: 'EC P-256', isCA: false, fingerprint256: 'x' };
  const files = ['peer', 'server', 'old-peer', 'old-server', 'spare'].map((n) => ({
    source: { kind: 'host-file' as const, member: 'm1', host: 'm1', where: `/etc/etcd/pki/${n}.pem`, use: `${n} certificate`, mustCover: [] },
    ok: true as const,
    cert,
  }));
  store.getState().setInspect({ certs: { at: now, checks: files } });
  ui.stdin.write('\r');
  await new Promise((r) => setImmediate(r));
  ui.stdin.write('\t');
  const f = await waitFor(() => {
    const x = plain(ui.lastFrame() ?? '');
    return x.includes('CERTIFICATES of m1') ? x : undefined;
  }, { what: 'the certificates tab', timeoutMs: 5000, intervalMs: 10 });
  const lines = f.split('\n');
  assert.ok(lines.length <= 23, `${lines.length} rows for a 24-row terminal:\n${f}`);
  assert.ok(lines.every((l) => [...l].length <= 80), f);
  const shown = (f.match(/certificate \/etc\/etcd\/pki\//g) ?? []).length;
  assert.ok(shown >= 1 && shown < 5, f);
  assert.match(f, new RegExp(`… ${5 - shown} more \\(K shows every certificate\\)`));
});
