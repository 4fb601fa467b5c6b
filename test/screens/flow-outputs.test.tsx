/**
 * Issue 13 item 2 in the console: a flow checks its local outputs (here the audit log, a directory)
 * after the operator confirms and before the first step: the run is refused with the sentence, and
 * nothing is sent to the cluster.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../../src/run/audit.js';
import { fakeConsole, flat } from '../fakes/console.js';

test('move-leader with an audit log that is a directory: refused before the first step, no moveLeader sent', async () => {
  const t = await fakeConsole({
    dirPrefix: 'etcd-tui-flow-outputs-',
    before: (dir) => mkdirSync(join(dir, 'audit-is-a-dir')),
    deps: (dir) => ({ audit: new AuditLog(join(dir, 'audit-is-a-dir')) }),
  });
  try {
    await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
    await t.press(':');
    await t.press('move-leader m2\r');
    await t.frame('preview', (x) => x.includes('[preview]') && x.includes('Move leadership from m1 to m2'));
    await t.press('\r');
    const f = flat(await t.frame('refused', (x) => x.includes('REFUSED')));
    assert.match(f, /audit-is-a-dir is a directory, not a file; nothing was changed/);
    assert.ok(!t.gateway.calls.some((c) => c.startsWith('moveLeader')), t.gateway.calls.join('\n'));
    assert.deepEqual(readdirSync(join(t.dir, 'audit-is-a-dir')), []);
  } finally {
    t.done();
  }
});
