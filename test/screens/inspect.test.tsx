/**
 * The visibility panes with a fake gateway and a fresh store: K shows the certificates and their
 * problems reach the verdict; H runs the consistency check and names the member that differs; U
 * scans the keyspace; s stops a running task; M shows the metrics figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { App } from '../../screens/App.js';
import { createAppStore, type AppStore } from '../../src/store/store.js';
import { pollOnce } from '../../src/monitor/poller.js';
import { InspectMonitor } from '../../src/monitor/inspect.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { waitFor } from '../harness/wait.js';
import type { CertReport } from '../../src/health/certs.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { osUser } from '../../src/run/audit.js';

const connection = { contextName: 'test', endpoints: ['http://127.0.0.1:2389'], readOnly: false, refreshMs: 1000, secure: false };
const settings = { contextName: 'test', endpoints: connection.endpoints, tls: {}, dialTimeoutMs: 1000, commandTimeoutMs: 1000, refreshMs: 1000, readOnly: false };

async function setup(gateway = new FakeGateway()) {
  const store: AppStore = createAppStore({ connection });
  store.getState().applyBatch(await pollOnce(gateway));
  const monitor = new InspectMonitor(store, settings, gateway);
  const actions = { quit: () => undefined, refreshNow: () => undefined, switchContext: () => undefined, inspect: monitor };
  const ui = render(<App store={store} actions={actions} />);
  // Frames with runs of white space (and line wraps) as one space: long lines wrap at 100 columns.
  const frame = (what: string, check: (f: string) => boolean) => waitFor(() => { const f = (ui.lastFrame() ?? '').replace(/\s+/g, ' '); return check(f) ? f : undefined; }, { what, timeoutMs: 3000, intervalMs: 10 });
  const press = async (key: string) => { ui.stdin.write(key); await new Promise((r) => setImmediate(r)); };
  return { gateway, store, ui, frame, press, monitor };
}

const DAY = 86_400_000;

test('K opens the certificates pane; a certificate expiring in 3 days turns the verdict critical', async () => {
  const { store, frame, press, ui, monitor } = await setup();
  await frame('dashboard', (f) => f.includes('m3'));
  await press('K');
  await frame('certs pane', (f) => f.includes('CERTIFICATES') || f.includes('reading certificates'));
  const now = Date.now();
  const cert = (days: number) => ({ subject: 'CN=m', issuer: 'CN=ca', serial: '1', notBefore: now - DAY, notAfter: now + days * DAY + 3600_000, sans: ['IP:127.0.0.1'], keyType: 'EC P-256', isCA: false, fingerprint256: 'x' });
  const report: CertReport = {
    at: now,
    checks: [
      { source: { kind: 'member', member: 'm1', where: 'https://127.0.0.1:2379', mustCover: ['https://127.0.0.1:2379'] }, ok: true, cert: cert(40) },
      { source: { kind: 'member', member: 'm3', where: 'https://127.0.0.1:2381', mustCover: ['https://127.0.0.1:2381'] }, ok: true, cert: cert(3) },
    ],
  };
  store.getState().setInspect({ certs: report, checks: { certs: [{ level: 'crit', text: 'm3: server certificate at https://127.0.0.1:2381 expires in 3 days' }] } });
  const f = await frame('cert rows', (x) => x.includes('expires in 3 days'));
  assert.match(f, /m1\s+https:\/\/127\.0\.0\.1:2379/);
  assert.match(f, /CRITICAL/);
  assert.equal(store.getState().view.verdict.level, 'critical');
  // The next refresh batch keeps the line (the verdict is recomputed, the checks appended again).
  store.getState().applyBatch(await pollOnce(new FakeGateway()));
  assert.equal(store.getState().view.verdict.level, 'critical');
  assert.equal(store.getState().view.verdict.reasons.filter((r) => r.text.includes('expires in 3 days')).length, 1);
  monitor.stop();
  ui.unmount();
});

test('H runs the consistency check: the member whose hash differs is named and the verdict goes critical', async () => {
  const gateway = new FakeGateway();
  gateway.hashes.set(gateway.members[1].clientURLs[0], '2222');
  const { store, frame, press, ui, monitor } = await setup(gateway);
  await frame('dashboard', (f) => f.includes('m3'));
  await press('H');
  const f = await frame('hash table', (x) => x.includes('DIFFERS'));
  assert.match(f, /m2 2222 \d+ ms DIFFERS/);
  assert.match(f, /m2: KV hash 2222 at revision 1 differs from the other members' 1111: .*replace this member/);
  await waitFor(() => store.getState().view.verdict.level === 'critical', { what: 'critical verdict', timeoutMs: 2000 });
  monitor.stop();
  ui.unmount();
});

test('U scans the keyspace on a follower and shows the top prefixes', async () => {
  const gateway = new FakeGateway();
  for (let i = 0; i < 30; i++) gateway.keys.set(`/registry/pods/default/p${i}`, 'x'.repeat(100));
  for (let i = 0; i < 5; i++) gateway.keys.set(`/registry/configmaps/kube-system/c${i}`, 'y'.repeat(1000));
  const { frame, press, ui, monitor } = await setup(gateway);
  await frame('dashboard', (f) => f.includes('m3'));
  await press('U');
  const f = await frame('prefix table', (x) => x.includes('/registry/pods/default'));
  assert.match(f, /35 of 35 keys/);
  assert.match(f, /TOP BY BYTES BYTES KEYS \/registry\/configmaps\/kube-system 5\.2 kB 5 \/registry\/pods\/default 3\.8 kB 30 TOP BY KEYS BYTES KEYS \/registry\/pods\/default 3\.8 kB 30/);
  // Never the leader (m1 in the fake): a follower was read.
  assert.ok(gateway.calls.filter((c) => c.startsWith('rangePage')).every((c) => !c.includes(gateway.members[0].clientURLs[0])));
  monitor.stop();
  ui.unmount();
});

test('M shows the metrics pane; figures come after two scrapes', async () => {
  const { frame, press, ui, monitor, store } = await setup();
  await frame('dashboard', (f) => f.includes('m3'));
  await press('M');
  const f = await frame('metrics pane', (x) => x.includes('METRICS'));
  assert.match(f, /first figures after two scrapes/);
  assert.equal(store.getState().ui.screen, 'metrics');
  monitor.stop();
  ui.unmount();
});

test('the event timeline shows the flows run from this bastion (audit log); an old snapshot makes the verdict degraded', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-audit-'));
  const auditPath = path.join(dir, 'audit.jsonl');
  const gateway = new FakeGateway();
  const rec = (hoursAgo: number, command: string, args: Record<string, unknown>) => JSON.stringify({ time: new Date(Date.now() - hoursAgo * 3_600_000).toISOString(), user: osUser(), context: 'test', command, arguments: args, clusterId: gateway.clusterId, outcome: 'succeeded' });
  fs.writeFileSync(auditPath, [rec(30, 'snapshot-save', { file: '/b/s.db', from: 'm1' }), rec(1, 'remove', { member: 'm4', id: '9' })].join('\n') + '\n');
  const store: AppStore = createAppStore({ connection });
  store.getState().applyBatch(await pollOnce(gateway));
  const monitor = new InspectMonitor(store, settings, gateway, Date.now, auditPath);
  const ui = render(<App store={store} actions={{ quit: () => undefined, refreshNow: () => undefined, switchContext: () => undefined, inspect: monitor }} />);
  try {
    monitor.start();
    await waitFor(() => store.getState().inspect.operatorEvents.length === 2, { what: 'operator events', timeoutMs: 3000 });
    ui.stdin.write('e');
    const f = await waitFor(() => { const x = (ui.lastFrame() ?? '').replace(/\s+/g, ' '); return x.includes('you: remove m4 (succeeded)') ? x : undefined; }, { what: 'timeline', timeoutMs: 3000 });
    assert.match(f, /operator you: snapshot save \/b\/s\.db \(succeeded\)/);
    await waitFor(() => store.getState().view.verdict.reasons.some((r) => /\/b\/s\.db .* is 30 h old \(older than 24 h\): press S/.test(r.text)), { what: 'backup age line', timeoutMs: 3000 });
    assert.equal(store.getState().view.verdict.level, 'degraded');
  } finally {
    monitor.stop();
    ui.unmount();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a member's detail shows its metrics figures", async () => {
  const { frame, press, ui, monitor, store } = await setup();
  await frame('dashboard', (f) => f.includes('m3'));
  const id = store.getState().ui.selectedId!;
  store.getState().setInspect({ metrics: { [id]: [{ at: 1, walFsyncP99Ms: 5, peerRttP99Ms: {} }, { at: 2, walFsyncP99Ms: 38, backendCommitP99Ms: 4.2, peerRttP99Ms: {}, rssBytes: 52_428_800, openFds: 23, leaderChangesTotal: 1 }] } });
  await press('\r');
  const f = await frame('detail metrics', (x) => x.includes('WAL fsync p99'));
  assert.match(f, /WAL fsync p99 38ms \S+/);
  assert.match(f, /commit p99 4\.2ms/);
  assert.match(f, /RSS 52 MB, open files 23/);
  monitor.stop();
  ui.unmount();
});
