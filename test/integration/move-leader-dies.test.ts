/**
 * Issue 13 item 8, against real etcd 3.4: `member move-leader` while the leader is killed. Whether the
 * kill lands before, during or after the transfer, what the command prints as the leader and the
 * audit record's "leader after" are the member that actually leads (read afresh), never the killed one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { showCli as show, startCli } from '../harness/cli.js';
import { waitFor } from '../harness/wait.js';

interface AuditLine {
  command: string;
  outcome: string;
  error?: string;
  after?: { leader?: { name: string } };
}

describe('move-leader when the leader dies mid-way (etcd 3.4)', () => {
  let cluster: TestCluster;
  let dir: string;

  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-move-leader-'));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the leader is killed as the move starts: the output and the audit name the member that leads now', async (t) => {
    const audit = join(dir, 'audit.jsonl');
    const leader = await cluster.leaderName();
    const target = ['m1', 'm2', 'm3'].find((n) => n !== leader) as string;
    const cli = startCli(['member', 'move-leader', target, '--yes', '--endpoints', cluster.endpoints.join(','), '--audit-log', audit], { timeoutMs: 120_000 });
    // As soon as the plan shows (with --yes the step starts right after it).
    await waitFor(() => /PLAN:/.test(cli.stdout()) || cli.exited(), { what: 'the plan', timeoutMs: 30_000, intervalMs: 2 });
    await cluster.kill(leader);
    const r = await cli.done;
    const now = await cluster.leaderName();
    t.diagnostic(`killed ${leader}, target ${target}, exit ${r.code}, leader now ${now}`);
    for (const l of r.stdout.split('\n').filter((x) => x.startsWith('['))) t.diagnostic(l);
    assert.notEqual(now, leader);
    assert.doesNotMatch(r.stderr, /\n\s+at |unexpected error/, show(r));
    if (r.code === 0) {
      // The move went through before the kill: the target leads and still does.
      assert.equal(now, target, show(r));
      assert.match(r.stdout, new RegExp(`ok: ${target} leads`), show(r));
    } else {
      assert.equal(r.code, 6, show(r));
      assert.match(r.stdout, new RegExp(`FAILED: .*; ${now} \\([0-9a-f]+\\) leads now \\(read afresh\\)`), show(r));
      assert.doesNotMatch(r.stdout, new RegExp(`${leader} \\([0-9a-f]+\\) leads now`), show(r));
    }
    const rec = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditLine).at(-1);
    assert.equal(rec?.command, 'move-leader');
    assert.equal(rec?.after?.leader?.name, now, `the audit's leader after: ${JSON.stringify(rec?.after?.leader)}; ${show(r)}`);
  });

  test('the target is killed as the move starts: the output names the member that leads now, the audit never names the dead target', async (t) => {
    const audit = join(dir, 'audit-target.jsonl');
    // The member the first test killed comes back: killing the target must leave a quorum.
    const restarted: string[] = [];
    for (const m of [...cluster.members]) {
      if (m.state === 'stopped') {
        await cluster.restart(m.name);
        restarted.push(m.name);
      }
    }
    await waitFor(async () => (await cluster.etcdctl(['endpoint', 'health', '--cluster'])).code === 0, { what: 'every member healthy', timeoutMs: 30_000, intervalMs: 250 });
    const leader = await cluster.leaderName();
    const target = cluster.members.find((m) => m.state === 'running' && m.name !== leader && !restarted.includes(m.name))?.name ?? (cluster.members.find((m) => m.name !== leader)?.name as string);
    const cli = startCli(['member', 'move-leader', target, '--yes', '--endpoints', cluster.endpoints.join(','), '--audit-log', audit], { timeoutMs: 120_000 });
    await waitFor(() => /PLAN:/.test(cli.stdout()) || cli.exited(), { what: 'the plan', timeoutMs: 30_000, intervalMs: 2 });
    await cluster.kill(target);
    const r = await cli.done;
    const now = await cluster.leaderName();
    t.diagnostic(`killed ${target} (the target), leader was ${leader}, exit ${r.code}, leader now ${now}`);
    for (const l of r.stdout.split('\n').filter((x) => x.startsWith('['))) t.diagnostic(l);
    assert.notEqual(now, target);
    assert.doesNotMatch(r.stderr, /\n\s+at |unexpected error/, show(r));
    if (r.code === 0) {
      // The transfer finished before the kill: the target led for a moment, then the others elected another.
      assert.match(r.stdout, new RegExp(`ok: ${target} leads`), show(r));
    } else {
      assert.equal(r.code, 6, show(r));
      assert.match(r.stdout, new RegExp(`FAILED: .*; ${now} \\([0-9a-f]+\\) leads now \\(read afresh\\)`), show(r));
    }
    const rec = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditLine).at(-1);
    assert.equal(rec?.command, 'move-leader');
    assert.notEqual(rec?.after?.leader?.name, target, `the audit names the dead target as the leader after; ${show(r)}`);
    if (r.code !== 0) assert.equal(rec?.after?.leader?.name, now, show(r));
  });
});
