// The run journal (src/run/journal.ts) with the real executor and a fake host: what is on disk at each
// point, how a journal is read back (finished, cut off, a line cut in the middle), and that its undo
// specs replay with the same undo steps (src/run/undo-steps.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlan } from '../../src/run/executor.js';
import { RunJournal, isRunId, journalDir, listRuns, readRun, type JournalRecord } from '../../src/run/journal.js';
import { undoEntry } from '../../src/run/undo-steps.js';
import type { Plan } from '../../src/domain/plan.js';
import type { SshTarget } from '../../src/domain/hosts.js';
import { applyRefreshes, emptyView, type Refresh } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../src/domain/types.js';
import { FakeHost } from '../fakes/fake-host.js';
import { FakeGateway } from '../fakes/fake-gateway.js';

const TARGET: SshTarget = { address: '10.9.0.14', port: 22, user: 'root', identityFiles: [], agent: false, knownHosts: '/dev/null', sudo: false, connectTimeoutMs: 1000 };

function plan(): Plan {
  return {
    flow: 'bootstrap-join',
    title: 'Join etcd-4',
    preview: [],
    warnings: [],
    args: { host: 'etcd-4' },
    rollbackOnFailure: true,
    steps: [
      { id: 'a', title: 'add', command: '', preconditions: [], action: { kind: 'member-add', name: 'etcd-4', peerURLs: ['https://10.9.0.14:2380'], isLearner: true } },
      { id: 'm', title: 'mkdir', command: '', preconditions: [], action: { kind: 'remote-mkdir', host: 'etcd-4', path: '/etc/etcd', mode: 0o755 } },
      { id: 'u', title: 'env', command: '', preconditions: [], action: { kind: 'remote-upload', host: 'etcd-4', source: { kind: 'text', text: 'X=1\n' }, remotePath: '/etc/etcd/etcd.env', mode: 0o644, what: 'env file' } },
      { id: 's', title: 'start', command: '', preconditions: [], action: { kind: 'remote-systemctl', host: 'etcd-4', verb: 'start', unit: 'etcd', timeoutMs: 1000 } },
    ],
  };
}

function records(path: string): JournalRecord[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalRecord);
}

test('journal: a failed run is on disk step by step, each undo as data and as done; read back it is finished', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-journal-'));
  try {
    const fake = new FakeHost(TARGET);
    fake.failStart = 'bind: address already in use';
    const gateway = new FakeGateway();
    const membersBefore = gateway.members.length;
    const observe = async () => {
      const batch: Refresh[] = [{ type: 'membership', at: 1, result: { ok: true, clusterId: '7', members: gateway.members } }];
      return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 0), batch, DEFAULT_HEALTH_OPTIONS);
    };
    const journal = RunJournal.start(journalDir(join(dir, 'audit.jsonl')), plan(), 'prod');
    assert.ok(isRunId(journal.id), journal.id);
    assert.equal(journal.path, join(dir, 'runs', `${journal.id}.jsonl`));
    const seen: string[] = [];
    const result = await runPlan(plan(), {
      gateway,
      observe,
      // What is on disk when the executor reports a step's start: its start record is there already.
      onEvent: (e) => {
        if (e.type === 'step-start') seen.push(JSON.stringify(records(journal.path).at(-1)));
      },
      signal: new AbortController().signal,
      hosts: { spec: () => { throw new Error('not used'); }, settings: {} as never, connection: async () => fake },
      journal,
    });
    journal.finish(result.outcome);
    assert.equal(result.outcome, 'failed');
    assert.deepEqual(result.rollback?.failed, []);
    assert.ok(seen.every((s, i) => s.includes(`"t":"step","i":${i},"state":"start"`)), seen.join('\n'));
    const recs = records(journal.path);
    assert.equal(recs[0].t, 'start');
    const undos = recs.filter((r) => r.t === 'undo');
    assert.deepEqual(
      undos.map((r) => (r.t === 'undo' ? r.spec?.kind : '')),
      ['member-remove', 'rmdir', 'remove-file', 'systemctl'],
    );
    assert.equal(recs.filter((r) => r.t === 'undone' && r.ok).length, 4);
    const upload = recs.find((r) => r.t === 'step' && r.i === 2 && r.state === 'start');
    assert.deepEqual(upload?.t === 'step' ? upload.upload : undefined, { host: 'etcd-4', path: '/etc/etcd/etcd.env' });
    const run = readRun(journal.path);
    assert.equal(run.unfinished, false);
    assert.equal(run.ended, 'failed');
    assert.deepEqual(run.steps.map((s) => s.state), ['done', 'done', 'done', 'failed']);
    assert.equal(gateway.members.length, membersBefore, 'the learner was removed');
    assert.deepEqual(listRuns(join(dir, 'runs')).map((r) => r.id), [journal.id]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('journal: a run cut off mid-upload reads back unfinished: the undos left newest last, the cut upload, a torn last line ignored', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-journal-'));
  try {
    const journal = RunJournal.start(join(dir, 'runs'), plan(), 'prod');
    const on = journal.onEvent(() => undefined);
    const undo = journal.undoList();
    on({ type: 'step-start', index: 0, at: 0 });
    undo.push({ title: 'remove etcd-4', spec: { kind: 'member-remove', name: 'etcd-4', memberId: '42' }, run: async () => 'removed' });
    on({ type: 'step-done', index: 0, at: 0 });
    on({ type: 'step-start', index: 1, at: 0 });
    undo.push(undoEntry({ kind: 'rmdir', host: 'etcd-4', path: '/etc/etcd' }, { connection: async () => new FakeHost(TARGET) }));
    on({ type: 'step-done', index: 1, at: 0 });
    on({ type: 'step-start', index: 2, at: 0 });
    // A copy made for the rollback (the executor's [...undo].reverse()) is a plain array.
    assert.equal([...undo].reverse().constructor, Array);
    assert.equal(undo.slice().constructor, Array);
    appendFileSync(journal.path, '{"t":"undone","n":1,"ok":tr');
    const run = readRun(journal.path);
    assert.equal(run.unfinished, true);
    assert.equal(run.ended, undefined);
    assert.deepEqual(run.steps.map((s) => s.state), ['done', 'done', 'running', 'pending']);
    assert.deepEqual(run.pending.map((u) => u.spec?.kind), ['member-remove', 'rmdir']);
    assert.deepEqual(run.cutUploads, [{ host: 'etcd-4', path: '/etc/etcd/etcd.env' }]);
    writeFileSync(join(dir, 'runs', 'not-a-journal.jsonl'), 'hello\n');
    assert.deepEqual(listRuns(join(dir, 'runs')).map((r) => r.id), [journal.id]);
    assert.equal(isRunId('../etc/passwd'), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('journal: a member add cut off before etcd answered leaves no undo record: read back, the add is named with its peer URLs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-journal-'));
  try {
    const journal = RunJournal.start(join(dir, 'runs'), plan(), 'prod');
    journal.onEvent(() => undefined)({ type: 'step-start', index: 0, at: 0 });
    const run = readRun(journal.path);
    assert.equal(run.unfinished, true);
    assert.deepEqual(run.cutMemberAdds, [{ name: 'etcd-4', peerURLs: ['https://10.9.0.14:2380'] }]);
    assert.deepEqual(run.pending, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('undo steps: a spec replays on a fresh connection; a data dir with content is moved aside, never deleted', async () => {
  const fake = new FakeHost(TARGET);
  fake.dirs.add('/var/lib/etcd');
  fake.files.set('/var/lib/etcd/member/wal', { content: Buffer.from('x'), mode: 0o600 });
  fake.files.set('/etc/etcd/etcd.env', { content: Buffer.from('NEW'), mode: 0o644 });
  fake.files.set('/etc/etcd/etcd.env.etcd-tui-backup-1', { content: Buffer.from('OLD'), mode: 0o644 });
  let connects = 0;
  const env = { connection: async () => (connects++, fake), now: () => Date.UTC(2026, 0, 2, 3, 4, 5) };
  const aside = await undoEntry({ kind: 'data-dir-aside', host: 'etcd-4', path: '/var/lib/etcd', existed: false, mode: '0700' }, env).run();
  assert.equal(aside, 'etcd-4: moved /var/lib/etcd aside to /var/lib/etcd.etcd-tui-failed-20260102T030405Z');
  const restored = await undoEntry({ kind: 'restore-file', host: 'etcd-4', path: '/etc/etcd/etcd.env', backup: '/etc/etcd/etcd.env.etcd-tui-backup-1', unit: false }, env).run();
  assert.match(restored, /restored \/etc\/etcd\/etcd.env from/);
  assert.equal(fake.files.get('/etc/etcd/etcd.env')?.content.toString(), 'OLD');
  await assert.rejects(
    undoEntry({ kind: 'restore-file', host: 'etcd-4', path: '/etc/etcd/etcd.env', backup: '/etc/etcd/etcd.env.etcd-tui-backup-1', unit: false }, env).run(),
    /the backup .* is gone; put the earlier \/etc\/etcd\/etcd.env back by hand/,
  );
  assert.equal(connects, 3, 'each undo asks for its connection');
  assert.ok(!fake.ran.some((a) => a[0] === 'rm' && a.includes('-r')), 'nothing is deleted recursively');
});
