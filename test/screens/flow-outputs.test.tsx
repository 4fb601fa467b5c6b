/**
 * Issue 13 item 2 in the console: a flow checks its local outputs (here the audit log, a directory)
 * after the operator confirms and before the first step: the run is refused with the sentence, and
 * nothing is sent to the cluster.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { App } from '../../screens/App.js';
import { createAppStore } from '../../src/store/store.js';
import { pollOnce } from '../../src/monitor/poller.js';
import { collectStatus } from '../../src/monitor/observe.js';
import { FlowController } from '../../src/flows/controller.js';
import { AuditLog } from '../../src/run/audit.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { waitFor } from '../harness/wait.js';

test('move-leader with an audit log that is a directory: refused before the first step, no moveLeader sent', async () => {
  const gateway = new FakeGateway();
  const store = createAppStore({ connection: { contextName: 'test', endpoints: ['http://127.0.0.1:2389'], readOnly: false, refreshMs: 1000, secure: false } });
  const refresh = async () => store.getState().applyBatch(await pollOnce(gateway));
  await refresh();
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-flow-outputs-'));
  const auditDir = join(dir, 'audit-is-a-dir');
  mkdirSync(auditDir);
  const flows = new FlowController(store, {
    gateway: () => gateway,
    observe: async (opts) => {
      await refresh();
      return collectStatus(gateway, store.getState().health, Date.now, opts);
    },
    audit: new AuditLog(auditDir),
    context: () => 'test',
    pollMs: 20,
    envDir: dir,
  });
  const ui = render(<App store={store} actions={{ quit: () => undefined, refreshNow: () => undefined, switchContext: () => undefined, flows }} />);
  const frame = (what: string, check: (f: string) => boolean) => waitFor(() => ((ui.lastFrame() ?? '') && check(ui.lastFrame() ?? '') ? ui.lastFrame() : undefined), { what, timeoutMs: 5000, intervalMs: 10 });
  try {
    await frame('dashboard', (x) => x.includes('MEMBERS (3)'));
    ui.stdin.write(':');
    await new Promise((r) => setImmediate(r));
    ui.stdin.write('move-leader m2\r');
    await frame('preview', (x) => x.includes('[preview]') && x.includes('Move leadership from m1 to m2'));
    ui.stdin.write('\r');
    const f = (await frame('refused', (x) => x.includes('REFUSED'))).replace(/[\s│]+/g, ' ');
    assert.match(f, /audit-is-a-dir is a directory, not a file; nothing was changed/);
    assert.ok(!gateway.calls.some((c) => c.startsWith('moveLeader')), gateway.calls.join('\n'));
    assert.deepEqual(readdirSync(auditDir), []);
  } finally {
    ui.unmount();
    rmSync(dir, { recursive: true, force: true });
  }
});
