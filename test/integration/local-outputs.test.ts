/**
 * Issue 13 item 2: every local output (env file, audit log, snapshot path) is checked before anything
 * changes: the built binary against a real etcd 3.4 cluster refuses with exit 5 and one sentence
 * naming the path, and the cluster and the files stay as they were. An audit log that fails after the
 * change (a full disk: /dev/full) costs a warning line, not the run's exit code.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type MemberListJson, type TestCluster } from '../harness/cluster.js';
import { runCli, showCli as show } from '../harness/cli.js';

const run = (args: string[], timeoutMs = 60_000) => runCli(args, { timeoutMs });

/** `chattr +i`: a file even root cannot open for writing (EPERM). */
function immutable(file: string, on: boolean): void {
  execFileSync('chattr', [on ? '+i' : '-i', file], { stdio: 'ignore' });
}

describe('local outputs are checked before the cluster is changed (etcd 3.4)', () => {
  let cluster: TestCluster;
  let dir: string;
  let common: string[];
  const locked: string[] = [];

  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-outputs-'));
    common = ['--endpoints', cluster.endpoints.join(',')];
  });
  after(async () => {
    for (const f of locked) {
      try {
        immutable(f, false);
      } catch {
        // already removed
      }
    }
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const members = async () => (await cluster.etcdctlJson<MemberListJson>(['member', 'list'])).members.map((m) => `${m.ID} ${(m.peerURLs ?? []).join(',')} ${m.isLearner ? 'learner' : 'voter'}`).sort();

  /** One line on stderr, exit 5, naming the path and saying nothing was changed. */
  function refusedFor(r: Awaited<ReturnType<typeof run>>, path: string, why: RegExp): void {
    assert.equal(r.code, 5, show(r));
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, show(r));
    assert.ok(lines[0].includes(path), `the refusal does not name ${path}: ${show(r)}`);
    assert.match(lines[0], why, show(r));
    assert.match(lines[0], /nothing was changed/, show(r));
    assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at |TypeError|unexpected error/, show(r));
    assert.doesNotMatch(r.stdout, /\[1\//, `a step ran: ${show(r)}`);
  }

  test('add-learner --env-out in a missing directory: exit 5 before the add, member list unchanged, nothing written', async () => {
    const before = await members();
    const m4 = await cluster.planMember('m4');
    const audit = join(dir, 'a1', 'audit.jsonl');
    const envOut = join(dir, 'missing', 'm4.env');
    const r = await run(['member', 'add-learner', '--name', 'm4', '--peer-urls', m4.peerURL, '--yes', '--env-out', envOut, '--audit-log', audit, ...common]);
    refusedFor(r, envOut, /directory .*missing does not exist/);
    assert.deepEqual(await members(), before);
    assert.ok(!existsSync(join(dir, 'missing')), 'the missing directory was created');
    assert.ok(!existsSync(audit), 'an audit record was written');
  });

  test('add-learner --env-out in a directory where nothing can be created (/proc; root passes access(2) there): exit 5 before the add', async () => {
    const before = await members();
    const m4 = await cluster.planMember('m4');
    const envOut = '/proc/etcd-tui-m4.env';
    const audit = join(dir, 'a-proc.jsonl');
    const r = await run(['member', 'add-learner', '--name', 'm4', '--peer-urls', m4.peerURL, '--yes', '--env-out', envOut, '--audit-log', audit, ...common]);
    refusedFor(r, envOut, /the directory \/proc is not writable \((permission denied|files cannot be created there: [A-Z]+)\)/);
    assert.deepEqual(await members(), before);
    assert.ok(!existsSync(audit), 'an audit record was written');
  });

  test('add-learner --audit-log naming a directory: exit 5 before the add, member list unchanged', async () => {
    const before = await members();
    const m4 = await cluster.planMember('m4');
    const auditDir = join(dir, 'audit-is-a-dir');
    mkdirSync(auditDir);
    const envOut = join(dir, 'm4-from-dir-test.env');
    const r = await run(['member', 'add-learner', '--name', 'm4', '--peer-urls', m4.peerURL, '--yes', '--env-out', envOut, '--audit-log', auditDir, ...common]);
    refusedFor(r, auditDir, /is a directory/);
    assert.deepEqual(await members(), before);
    assert.deepEqual(readdirSync(auditDir), [], 'something was written into the directory');
    assert.ok(!existsSync(envOut), 'the env file was written');
  });

  test('add-learner --env-out naming an existing file: exit 5, the file is not overwritten, member list unchanged', async () => {
    const before = await members();
    const m4 = await cluster.planMember('m4');
    const envOut = join(dir, 'existing.env');
    writeFileSync(envOut, 'KEEP=1\n');
    const r = await run(['member', 'add-learner', '--name', 'm4', '--peer-urls', m4.peerURL, '--yes', '--env-out', envOut, '--audit-log', join(dir, 'a3.jsonl'), ...common]);
    refusedFor(r, envOut, /exists: it is never overwritten/);
    assert.equal(readFileSync(envOut, 'utf8'), 'KEEP=1\n');
    assert.deepEqual(await members(), before);
  });

  test('snapshot save into a missing directory, or with an audit log inside a file: exit 5, no file written', async () => {
    const file = join(dir, 'no-such-dir', 'snap.db');
    const r = await run(['snapshot', 'save', file, '--audit-log', join(dir, 'a4.jsonl'), ...common]);
    refusedFor(r, file, /directory .*no-such-dir does not exist/);
    assert.ok(!existsSync(join(dir, 'no-such-dir')));
    assert.ok(!existsSync(join(dir, 'a4.jsonl')), 'an audit record was written');

    const plain = join(dir, 'plain-file');
    writeFileSync(plain, 'x');
    const audit = join(plain, 'audit.jsonl');
    const snap = join(dir, 'snap-ok-dir.db');
    const r2 = await run(['snapshot', 'save', snap, '--audit-log', audit, ...common]);
    refusedFor(r2, audit, /is not a directory/);
    assert.ok(!existsSync(snap) && !existsSync(`${snap}.part`) && !existsSync(`${snap}.json`), 'a snapshot file was written');
  });

  test('defrag with an audit log that cannot be written (immutable file): exit 5, no member defragmented', async () => {
    const audit = join(dir, 'immutable-audit.jsonl');
    writeFileSync(audit, '');
    immutable(audit, true);
    locked.push(audit);
    const r = await run(['defrag', '--all', '--yes', '--audit-log', audit, ...common]);
    refusedFor(r, audit, /cannot be written \(permission denied\)/);
    assert.doesNotMatch(r.stdout, /PLAN:|defragment/i, show(r));
    immutable(audit, false);
    assert.equal(readFileSync(audit, 'utf8'), '');
  });

  test('an audit log that fails after the change (disk full: /dev/full): the learner is added, exit 0, one warning line, no crash', async () => {
    const m5 = await cluster.planMember('m5');
    const envOut = join(dir, 'm5.env');
    const r = await run(['member', 'add-learner', '--name', 'm5', '--peer-urls', m5.peerURL, '--yes', '--env-out', envOut, '--audit-log', '/dev/full', ...common]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /\[1\/1\] ok: member [0-9a-f]+ added as a learner/, show(r));
    assert.match(r.stderr, /WARNING: the audit record \(add-learner, succeeded\) could not be written to \/dev\/full: .*ENOSPC/, show(r));
    assert.equal(r.stderr.trim().split('\n').length, 1, show(r));
    assert.match(r.stdout, /audit record NOT written to \/dev\/full/, show(r));
    assert.doesNotMatch(r.stderr, /\n\s+at |unexpected error/, show(r));
    assert.match(readFileSync(envOut, 'utf8'), /^ETCD_NAME="m5"$/m);
    const list = (await cluster.etcdctlJson<MemberListJson>(['member', 'list'])).members;
    assert.ok(list.some((m) => m.isLearner && m.peerURLs?.includes(m5.peerURL)), `m5 is not a learner: ${JSON.stringify(list)}`);
  });
});
